#!yaml
db_host: null
db_password: 'sdb://gcp_secret_manager/orders-db'
onioncloud:
  address: google_compute_instance.dr-web-b
  environment: multicloud
  pending:
    - db_host
