"""Files of datastores and the manifests of dataset versions, below the SDK.

Shared by the SDK (``jupyter_mlws.core.datastore``, ``jupyter_mlws.data``), the executor
(inputs and outputs of submitted runs) and the REST server, so none of them depends on another:

- ``locations``: a datastore's spec -> an fsspec file system and root (``DatastoreFS``), the
  built-in ``workspaceblobstore`` / ``workspacefilestore``, and the one place datastore-relative
  paths are confined;
- ``manifest``: resolving paths and globs to the files a dataset version is made of, storing
  that manifest as a compressed blob, and detecting files that changed since;
- ``registry``: datastore and dataset records in the asset registry (kinds ``datastore`` and
  ``dataset``), the default datastore, registering a dataset version, lineage property keys;
- ``transfer``: copies between datastores and local folders (download, upload, mounts).
"""
