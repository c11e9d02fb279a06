#!yaml
db_host: '10.30.0.10'
db_password: 'sdb://vault/secret/prod/orders-db/password'
onioncloud:
  address: openstack_compute_instance_v2.app-1
  environment: multicloud
  pending: []
