from django.urls import path

from . import views

urlpatterns = [
    # applying online (一网) and 我的办件
    path("cases/apply/bundle/<str:code>/", views.apply_bundle, name="cases-apply-bundle"),
    path("cases/apply/<str:code>/", views.apply_item, name="cases-apply"),
    path("cases/mine/", views.mine, name="cases-mine"),
    path("cases/<str:number>/", views.detail, name="cases-detail"),
    path("cases/<str:number>/submitted/", views.submitted, name="cases-submitted"),
    path("cases/<str:number>/receipt.pdf", views.receipt, name="cases-receipt"),
    path("cases/<str:number>/notice.pdf", views.notice, name="cases-notice"),
    path("cases/<str:number>/process.bpmn", views.process_xml, name="cases-process"),
    path("cases/<str:number>/act/", views.act, name="cases-act"),
    path("cases/<str:number>/resubmit/", views.resubmit, name="cases-resubmit"),
    path("cases/<str:number>/pay/", views.pay, name="cases-pay"),
    # department workbench
    path("work/", views.work, name="work"),
    path("work/tasks/<int:task_id>/", views.task_action, name="work-task"),
    # the counter (一窗)
    path("counter/", views.counter, name="counter"),
    path("counter/seat/", views.counter_seat, name="counter-seat"),
    path("counter/queue/", views.counter_queue, name="counter-queue"),
    path("counter/citizen/", views.counter_citizen, name="counter-citizen"),
    path("counter/apply/<str:code>/", views.counter_apply, name="counter-apply"),
    path("counter/<str:place_code>/take/", views.kiosk_take, name="counter-kiosk"),
    path("counter/<str:place_code>/screen/", views.screen, name="counter-screen"),
]
