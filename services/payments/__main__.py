from services.payments.main import create_app
from shared.http.serve import serve_service

serve_service("payments", create_app)
