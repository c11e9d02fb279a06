# Installs nginx; configuration and service live in their own SLS.
include:
  - .config
  - .service

nginx:
  pkg.installed:
    - name: nginx
    - refresh: False
