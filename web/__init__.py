"""The people-facing UI: informant form, analyst dashboard, leader view.

``web.routes.mount_ui`` adds the pages, their static files and the read-only
JSON endpoints the pages need to the intake's FastAPI app. Lifecycle actions
(acknowledge, assign, ...) belong to other routers; the pages call them
through ``web/static/js/api.js``, where every endpoint path is written once.
"""
