#!yaml
onioncloud:
  address: proxmox_virtual_environment_vm.mon-1
  environment: multicloud
  pending: []
