from services.plans.main import create_app
from shared.http.serve import serve_service

serve_service("plans", create_app)
