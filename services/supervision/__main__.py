from services.supervision.main import create_app
from shared.http.serve import serve_service

serve_service("supervision", create_app)
