from shared.http.serve import serve_service

from services.plans.main import create_app

serve_service("plans", create_app)
