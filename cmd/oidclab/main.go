// Command oidclab tests an OpenID Connect login through an API gateway.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], systemIO()))
}
