package locale

import "testing"

func TestPick(t *testing.T) {
	tests := []struct {
		chosen, accept, fallback, want string
	}{
		{"", "sv-SE,sv;q=0.9,en;q=0.8", "", "sv"},
		{"", "en-US,en;q=0.9", "sv", "en"},
		{"", "de-DE", "sv", "de"},
		{"", "fr-FR", "sv", "sv"},
		{"", "de-AT,de;q=0.9,en;q=0.5", "", "de"},
		{"", "", "sv", "sv"},
		{"", "", "", "en"},
		{"en", "sv", "sv", "en"},
		{"fr", "sv", "", "sv"},
		{"", "nb-NO,sv;q=0.5", "en", "sv"},
		{"", "garbage;;q=x", "", "en"},
	}
	for _, tt := range tests {
		if got := Pick(tt.chosen, tt.accept, tt.fallback); got != tt.want {
			t.Errorf("Pick(%q, %q, %q) = %q, want %q", tt.chosen, tt.accept, tt.fallback, got, tt.want)
		}
	}
}
