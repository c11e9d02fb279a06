base:
  'web-1,db-1':
    - match: list
    - users
  'db*':
    - users.admins
