"""The supervision console: server-rendered pages in Spanish (Chile) over the JSON API's data."""
