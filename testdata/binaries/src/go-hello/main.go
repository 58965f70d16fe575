// Command hello prints a greeting; it exists to be scanned for its Go build information.
package main

import (
	"fmt"

	"example.com/greet"
)

func main() {
	fmt.Println(greet.Hello("world"))
}
