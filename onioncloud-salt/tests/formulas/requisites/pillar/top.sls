base:
  'web*':
    - roles
