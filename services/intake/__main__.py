from services.intake.main import create_app
from shared.http.serve import serve_service

serve_service("intake", create_app)
