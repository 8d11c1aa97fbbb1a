"""Helpers for the browser tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PASSWORD = "Yiwang#2026"  # tests/conftest.py's password for every fixture person
REPO = Path(__file__).resolve().parents[2]
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
# axe is served to the page from the site's own origin (intercepted by Playwright), so the page's
# Content-Security-Policy (script-src 'self') stays in force during the accessibility checks.
AXE_PATH = "/__e2e__/axe.min.js"


class PageWatch:
    """What went wrong while a page was open: server errors, CSP violations, script errors."""

    def __init__(self, page):
        self.server_errors: list[str] = []
        self.csp: list[str] = []
        self.script_errors: list[str] = []
        page.on("response", self._on_response)
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.script_errors.append(str(exc)))

    def _on_response(self, response):
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    def _on_console(self, message):
        if re.search(r"Content[- ]Security[- ]Policy", message.text, re.I):
            self.csp.append(message.text)

    def assert_clean(self):
        assert not self.server_errors, f"server errors: {self.server_errors}"
        assert not self.csp, "Content-Security-Policy violations:\n" + "\n".join(self.csp)
        assert not self.script_errors, f"JavaScript errors: {self.script_errors}"


def login_citizen(page, user, password=PASSWORD):
    """Sign in on the citizen login page with ID number and password; waits for the next page."""
    page.goto("/accounts/login/")
    page.locator("#id_id_number").fill(user.id_number)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("form[data-login-method] button.primary").click()


def login_staff(page, user, code, password=PASSWORD):
    page.goto("/accounts/login/staff/")
    page.get_by_label("用户名").fill(user.username)
    page.locator("#id_password").fill(password)
    page.get_by_label("动态口令（6 位）").fill(code)
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="登录", exact=True).click()
    return nav.value


def run_axe(page) -> list[dict]:
    """Run axe-core's WCAG 2.1 A/AA rules on the page; the violations, each with its nodes."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci` (axe-core is a devDependency in package.json)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_PATH)
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
                resultTypes: ["violations"],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary})),
            }));
        }"""
    )


def format_violations(where: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} accessibility violation(s) on {where}:"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {node['target']}: {node['html'][:160]}")
            lines.append("      " + (node["summary"] or "").replace("\n", "\n      "))
    return "\n".join(lines)
