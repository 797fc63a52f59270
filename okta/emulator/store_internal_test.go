package emulator

import (
	"strconv"
	"testing"
	"time"
)

// Anyone can call /v1/authorize: the pending logins of one client must not crowd out another
// client's, and expired ones must leave the table as new ones arrive, oldest first, without a
// sweep of the whole table.
func TestPendingLoginsBoundedPerClient(t *testing.T) {
	now := time.Now()
	tx := func(client string, at time.Time) *loginTx {
		return &loginTx{Req: authRequest{ClientID: client}, Expires: at.Add(loginTxLifetime)}
	}
	tests := []struct {
		name string
		run  func(t *testing.T, st *store)
	}{
		{"a flood of one client evicts its own oldest, not another client's", func(t *testing.T, st *store) {
			if err := st.putTx("honest", tx("app", now), now); err != nil {
				t.Fatal(err)
			}
			for i := range maxTxPerClient + 1 {
				if err := st.putTx("flood-"+strconv.Itoa(i), tx("flooded", now), now); err != nil {
					t.Fatalf("put %d: %v", i, err)
				}
			}
			if _, ok := st.tx("honest", now); !ok {
				t.Error("another client's pending login was evicted")
			}
			if _, ok := st.tx("flood-0", now); ok {
				t.Error("the flooded client's oldest pending login is still there")
			}
			if _, ok := st.tx("flood-"+strconv.Itoa(maxTxPerClient), now); !ok {
				t.Error("the newest pending login was not kept")
			}
			if n := len(st.txs); n != maxTxPerClient+1 {
				t.Errorf("%d pending logins, want %d", n, maxTxPerClient+1)
			}
		}},
		{"expired logins leave as new ones arrive", func(t *testing.T, st *store) {
			for i := range 10 {
				st.putTx("old-"+strconv.Itoa(i), tx("app", now), now)
			}
			later := now.Add(loginTxLifetime + time.Second)
			st.putTx("new", tx("app", later), later)
			if len(st.txs) != 1 {
				t.Errorf("%d pending logins after the old ones expired, want 1", len(st.txs))
			}
		}},
		{"completed logins are not counted", func(t *testing.T, st *store) {
			for i := range maxTxPerClient {
				id := "done-" + strconv.Itoa(i)
				st.putTx(id, tx("app", now), now)
				st.takeTx(id)
			}
			st.putTx("pending", tx("app", now), now)
			st.putTx("next", tx("app", now), now)
			if _, ok := st.tx("pending", now); !ok {
				t.Error("a pending login was evicted although the others completed")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore()
			tt.run(t, &st)
		})
	}
}
