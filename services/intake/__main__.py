from shared.http.serve import serve_service

from services.intake.main import create_app

serve_service("intake", create_app)
