package compress

import "fmt"

// LevelRange is what levels an algorithm takes. A level of 0 always means
// the algorithm's Default level.
type LevelRange struct {
	Min, Max, Default int
}

// Levels returns the level range of a; ok is false for None (which takes
// no level) and unknown algorithms.
//
//   - zstd 1–22, default 3, the zstd command's scale. The encoder has four
//     strategies, chosen as zstd.EncoderLevelFromZstd does: 1–2 fastest,
//     3–5 default, 6–9 better, 10–22 best. So 12 and 22 compress alike.
//   - gzip 1–9, default 6, as gzip(1).
//   - brotli 1–11, default 6. Brotli's own scale starts at 0, but 0 here is
//     "the default", so quality 0 (barely compressing) is not offered.
func Levels(a Algorithm) (r LevelRange, ok bool) {
	switch a {
	case Zstd:
		return LevelRange{1, 22, 3}, true
	case Gzip:
		return LevelRange{1, 9, 6}, true
	case Brotli:
		return LevelRange{1, 11, 6}, true
	}
	return LevelRange{}, false
}

// CheckLevel says whether level is valid for a; 0 (the default) always is
// for a known algorithm. The error names the valid range.
func CheckLevel(a Algorithm, level int) error {
	if _, err := Parse(string(a)); err != nil {
		return err
	}
	if level == 0 {
		return nil
	}
	r, ok := Levels(a)
	if !ok {
		return fmt.Errorf("compression level %d: %s takes no level (want 0)", level, a)
	}
	if level < r.Min || level > r.Max {
		return fmt.Errorf("compression level %d is out of range for %s: want %d to %d (0 for its default, %d)", level, a, r.Min, r.Max, r.Default)
	}
	return nil
}

// effective returns the level a writer uses for level (0: the default).
func effective(a Algorithm, level int) int {
	if level == 0 {
		r, _ := Levels(a)
		return r.Default
	}
	return level
}
