package kassa

import "slices"

// Languages are the languages kassa speaks, as BCP 47 tags, English first:
// what a tenant's locale, a page's language switch and a catalog product's
// names may be in. Package locale holds their words.
var Languages = []string{"en", "sv", "de"}

// ValidLanguage reports whether lang is one of Languages.
func ValidLanguage(lang string) bool { return slices.Contains(Languages, lang) }
