#!yaml
base:
  app-1:
    - minions.app-1
  dr-web-b:
    - minions.dr-web-b
  dr-web-c:
    - minions.dr-web-c
  mon-1:
    - minions.mon-1
  pg-1:
    - minions.pg-1
  web-a:
    - minions.web-a
  web-b:
    - minions.web-b
