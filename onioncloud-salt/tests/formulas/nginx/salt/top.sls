base:
  '*':
    - nginx
  'kernel:Linux':
    - match: grain
    - nginx.config
