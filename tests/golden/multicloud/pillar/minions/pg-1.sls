#!yaml
db_password: 'sdb://vault/secret/prod/orders-db/password'
onioncloud:
  address: proxmox_virtual_environment_vm.pg-1
  environment: multicloud
  pending: []
