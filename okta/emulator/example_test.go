package emulator_test

import (
	"context"
	"fmt"
	"log"

	"github.com/oidclab/oidclab/okta/emulator"
)

// Start the tutorial's org on a free loopback port and register a client once the relying
// party's port is known.
func ExampleStart() {
	ctx := context.Background()
	idp, err := emulator.Start(ctx, "127.0.0.1:0", emulator.Default(), emulator.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer idp.Close()

	err = idp.AddClient(emulator.Client{
		ID: "0oagateway", Secret: "gateway-secret", Type: emulator.ClientWeb, AssignAll: true,
		RedirectURIs: []string{"http://127.0.0.1:45678/anything"},
	})
	fmt.Println(err, idp.Issuer() == idp.URL()+"/oauth2/default")
	// Output: <nil> true
}
