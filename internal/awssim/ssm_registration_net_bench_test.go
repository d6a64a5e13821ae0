package awssim

import (
	"testing"
	"time"
)

// BenchmarkNetRegistrationFleet10000 decides registration for a generated
// 10,000-instance fleet (a third behind endpoints), as one
// DescribeInstanceInformation listing of the whole fleet does.
func BenchmarkNetRegistrationFleet10000(b *testing.B) {
	st := GenerateFleet(10000, DefaultFleetMix, 1)
	if err := st.Normalize(); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		idx := st.indexProfiles()
		online := 0
		for _, inst := range st.Instances {
			if reg, ping, _ := st.registrationIndexed(inst, now, idx); reg && ping == "Online" {
				online++
			}
		}
		if online == 0 {
			b.Fatal("no instance online")
		}
	}
}
