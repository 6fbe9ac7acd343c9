from shared.http.serve import serve_service

from services.payments.main import create_app

serve_service("payments", create_app)
