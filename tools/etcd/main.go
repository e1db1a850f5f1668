// Command etcd is the etcd server: go.etcd.io/etcd/server/v3's own main package would build as "server".
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
