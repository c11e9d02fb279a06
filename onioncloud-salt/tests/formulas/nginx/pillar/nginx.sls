nginx:
  workers: 4
  server_tokens: off
