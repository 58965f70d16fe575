// Copied from the shared tooling's trivy-offline/mkdb.go; built by trivy-offline-setup.sh.
// mkdb PATH: an empty Trivy vulnerability database (a bbolt file with an empty "trivy" bucket).
package main

import (
	"os"

	bolt "go.etcd.io/bbolt"
)

func main() {
	db, err := bolt.Open(os.Args[1], 0644, nil)
	if err != nil {
		panic(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte("trivy"))
		return err
	})
	db.Close()
}
