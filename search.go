package kassa

import (
	"slices"
	"strings"
	"unicode"
)

// SearchWords returns the words a user is found by in a typeahead: each word
// of the name and the whole email, lowercased, each also without accents when
// that differs ("Åsa" → "åsa", "asa"). A search term matches a user when it
// starts one of these words.
func SearchWords(name, email string) []string {
	var words []string
	seen := map[string]bool{}
	add := func(w string) {
		for _, v := range []string{w, FoldAccents(w)} {
			if v != "" && !seen[v] {
				seen[v] = true
				words = append(words, v)
			}
		}
	}
	for _, w := range SearchTerms(name) {
		add(w)
	}
	add(strings.ToLower(strings.TrimSpace(email)))
	return words
}

// SearchTerms splits what someone typed into lowercased words. Hyphens and
// other punctuation separate words, except in an email: "anna-karin" finds
// Anna-Karin by either half, "erik@" finds erik@nordvik.example.
func SearchTerms(s string) []string {
	s = strings.ToLower(s)
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("@._+'", r))
	})
}

var foldings = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae",
	'ç': "c", 'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ì': "i", 'í': "i",
	'î': "i", 'ï': "i", 'ñ': "n", 'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o",
	'ö': "o", 'ø': "o", 'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y",
	'ÿ': "y", 'ß': "ss", 'ð': "d", 'þ': "th",
}

// FoldAccents returns lowercase s with the accents of Latin letters removed,
// so that "asa" finds "Åsa" while "å" still finds only words with å.
func FoldAccents(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if f, ok := foldings[r]; ok {
			b.WriteString(f)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Folding is one letter FoldAccents replaces, and what with.
type Folding struct{ From, To string }

// AccentFoldings lists what FoldAccents replaces, the capital letters too
// (as FoldAccents lowercases first), in a fixed order: what a database
// needs to fold as FoldAccents does.
func AccentFoldings() []Folding {
	var out []Folding
	for r, to := range foldings {
		out = append(out, Folding{string(r), to})
		if up := unicode.ToUpper(r); up != r && unicode.ToLower(up) == r {
			out = append(out, Folding{string(up), to})
		}
	}
	slices.SortFunc(out, func(a, b Folding) int { return strings.Compare(a.From, b.From) })
	return out
}
