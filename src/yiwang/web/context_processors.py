from django.conf import settings


def shell(request):
    return {
        "elderly_mode": request.COOKIES.get("yw_elderly") == "1",
        "demo_mode": settings.DEMO_MODE,
        "actor": getattr(request, "actor", None),
    }
