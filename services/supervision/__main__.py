from shared.http.serve import serve_service

from services.supervision.main import create_app

serve_service("supervision", create_app)
