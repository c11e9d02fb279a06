#!yaml
base:
  app-1:
    - roles.base
    - roles.web
  dr-web-b:
    - roles.base
    - roles.web
  dr-web-c:
    - roles.base
    - roles.web
  mon-1:
    - roles.base
    - roles.monitoring
  pg-1:
    - roles.base
    - roles.database
  web-a:
    - roles.base
    - roles.web
  web-b:
    - roles.base
    - roles.web
