package oidc

import (
	"testing"
	"time"
)

// A full map of unexpired entries makes room for a tenth of its size at once: a flood of new
// entries does not pay a full sweep each.
func TestBoundedMapMakesRoomInBatches(t *testing.T) {
	now := time.Now()
	m := newBoundedMap[int, struct{}](100)
	for i := range 100 {
		m.put(i, struct{}{}, now.Add(time.Hour), now)
	}
	m.put(100, struct{}{}, now.Add(time.Hour), now)
	if n := len(m.m); n != 90 {
		t.Fatalf("%d entries after overflowing a map of 100, want 90", n)
	}
	if _, ok := m.get(100, now); !ok {
		t.Error("the new entry was dropped")
	}
	for i := 101; i <= 110; i++ {
		m.put(i, struct{}{}, now.Add(time.Hour), now)
	}
	if n := len(m.m); n != 100 {
		t.Errorf("%d entries, want 100 (no sweep until full again)", n)
	}
	// Expired entries go first.
	m2 := newBoundedMap[int, struct{}](10)
	for i := range 10 {
		m2.put(i, struct{}{}, now.Add(time.Duration(i-5)*time.Minute), now)
	}
	m2.put(10, struct{}{}, now.Add(time.Hour), now)
	for i := 6; i <= 10; i++ {
		if _, ok := m2.get(i, now); !ok {
			t.Errorf("unexpired entry %d was dropped while expired ones could go", i)
		}
	}
}
