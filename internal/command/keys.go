package command

// Match reports whether s matches the glob pattern, with the syntax of
// Redis's KEYS, SCAN MATCH and CONFIG GET: * matches any run of bytes, ?
// any one byte, [abc] one of a set, [^abc] one not in it, [a-z] a range
// (reversed bounds are swapped), and \ makes the next byte literal. An
// unterminated [ ends at the end of the pattern. Bytes are compared exactly,
// without case folding or UTF-8 decoding.
//
// Match runs in O(len(pattern) × len(s)) time in the worst case and
// allocates nothing: it backtracks only to the last star, which suffices
// because every other element matches exactly one byte.
func Match(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0 // the pattern index after the last star, and where s resumed
	for i < len(s) {
		if p < len(pattern) && pattern[p] == '*' {
			for p < len(pattern) && pattern[p] == '*' {
				p++
			}
			if p == len(pattern) {
				return true
			}
			star, mark = p, i
			continue
		}
		if p < len(pattern) {
			if next, ok := matchOne(pattern, p, s[i]); ok {
				p, i = next, i+1
				continue
			}
		}
		if star < 0 {
			return false
		}
		mark++
		p, i = star, mark
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchOne matches the pattern element at p, which is not a star, against
// the byte ch, and returns the index of the next element.
func matchOne(pattern string, p int, ch byte) (int, bool) {
	switch pattern[p] {
	case '?':
		return p + 1, true
	case '\\':
		if p+1 < len(pattern) {
			p++
		}
		return p + 1, pattern[p] == ch
	case '[':
		p++
		not := p < len(pattern) && pattern[p] == '^'
		if not {
			p++
		}
		match := false
		for p < len(pattern) && pattern[p] != ']' {
			switch {
			case pattern[p] == '\\' && p+1 < len(pattern):
				p++
				match = match || pattern[p] == ch
			case p+2 < len(pattern) && pattern[p+1] == '-':
				lo, hi := pattern[p], pattern[p+2]
				if lo > hi {
					lo, hi = hi, lo
				}
				match = match || lo <= ch && ch <= hi
				p += 2
			default:
				match = match || pattern[p] == ch
			}
			p++
		}
		if p < len(pattern) {
			p++ // the ]
		}
		return p, match != not
	}
	return p + 1, pattern[p] == ch
}
