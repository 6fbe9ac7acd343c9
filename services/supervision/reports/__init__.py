"""Reports assembled from the services' counts: transparency (Ley 20.285) and monthly (FOSIS).

They read only aggregate endpoints (`/v1/statistics…`) and the staff's roles, so no
report can carry a name or a RUT; renderers turn one `Report` into PDF, XLSX, CSV or JSON.
"""
