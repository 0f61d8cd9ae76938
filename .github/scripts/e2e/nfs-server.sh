#!/usr/bin/env bash
# The runner's own NFS server, standing in for the NAS of `storage.type: nfs`: exported to kind's
# Docker network with the options docs/explanation/homes.md ("Homes on NFS") asks for, and the NFS client in the
# kind node, whose kubelet mounts the export. Prints the server's address as the node reaches it.
#
#   nfs-server.sh <export directory> <kind node container>
set -euo pipefail

export_dir=$1
node=$2

sudo apt-get update -qq
sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nfs-kernel-server >/dev/null
sudo mkdir -p "$export_dir" /etc/exports.d

# kind's Docker network: the node's address range (IPv4) and the host's address on it.
ipv4() { tr ' ' '\n' | grep -E '^[0-9]+(\.[0-9]+){3}(/[0-9]+)?$' | head -n 1; }
subnet=$(docker network inspect kind --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' | ipv4)
gateway=$(docker network inspect kind --format '{{range .IPAM.Config}}{{.Gateway}} {{end}}' | ipv4)
if [ -z "$subnet" ] || [ -z "$gateway" ]; then
  echo "no IPv4 subnet and gateway on Docker network kind" >&2
  exit 1
fi

# rw: users write their homes. no_root_squash: a new user's sub-directory is made by the kubelet
# and handed to uid 1000 by the home-owner init container, both as root. sync: a write is on disk
# when the server says so. Not all_squash: every file would belong to one anonymous user.
echo "$export_dir $subnet(rw,sync,no_subtree_check,no_root_squash)" | sudo tee /etc/exports.d/e2e-homes.exports >/dev/null
sudo exportfs -ra
sudo systemctl restart nfs-kernel-server
sudo exportfs -v >&2

docker exec "$node" sh -c 'command -v mount.nfs >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nfs-common >/dev/null; }'
# The node reaches the export: what the kubelet's mount will do.
docker exec "$node" timeout 10 bash -c "exec 3<>/dev/tcp/$gateway/2049" || {
  echo "the kind node cannot reach $gateway:2049" >&2
  exit 1
}
echo "$gateway"
