#!yaml
db_host: null
db_password: 'sdb://aws_secrets_manager/prod/orders-db'
onioncloud:
  address: aws_instance.web-b
  environment: multicloud
  pending:
    - db_host
