package translate

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// floresDesign is the Flores-101 list of DESIGN.md ("The models"), verbatim.
const floresDesign = `af am ar hy as ast az be bn bs bg my ca ceb zh hr cs da nl
en et tl fi fr ff gl lg ka de el gu ha he hi hu is ig id ga it ja jv kea kam kn kk km ko
ky lo lv ln lt luo lb mk ms ml mt mi mr mn ne nso no ny oc or om ps fa pl pt pa ro ru sr
sn sd sk sl so ckb es sw sv tg ta te th tr uk umb ur uz vi cy wo xh yo zu`

func TestRegistryCoversFlores101(t *testing.T) {
	codes := strings.Fields(floresDesign)
	if len(codes) != 101 {
		t.Fatalf("DESIGN list has %d codes, want 101", len(codes))
	}
	for _, c := range append(codes, "si", "zh-Hant") {
		l, err := Lookup(c)
		if err != nil {
			t.Errorf("Lookup(%q): %v", c, err)
			continue
		}
		if l.Code != c {
			t.Errorf("Lookup(%q).Code = %q", c, l.Code)
		}
	}
	if n := len(All()); n != 103 {
		t.Errorf("len(All()) = %d, want 103 (Flores-101 + si + zh-Hant)", n)
	}
}

func TestAllWellFormed(t *testing.T) {
	all := All()
	if !slices.IsSortedFunc(all, func(a, b Language) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("All is not sorted by code")
	}
	code := regexp.MustCompile(`^[a-z]{2,3}$`)
	iso3 := regexp.MustCompile(`^[a-z]{3}$`)
	script := regexp.MustCompile(`^[A-Z][a-z]{3}$`)
	names := map[string]string{}
	for _, l := range all {
		if !code.MatchString(l.Code) && l.Code != "zh-Hant" {
			t.Errorf("%v: bad code", l)
		}
		if !iso3.MatchString(l.ISO639_3) {
			t.Errorf("%v: bad ISO 639-3 code %q", l, l.ISO639_3)
		}
		if len(l.Code) == 3 && l.Code != l.ISO639_3 {
			t.Errorf("%v: a 3-letter code must be the ISO 639-3 code, have %q", l, l.ISO639_3)
		}
		if !script.MatchString(l.Script) {
			t.Errorf("%v: bad script %q", l, l.Script)
		}
		if l.Name == "" || l.Native == "" || l.Chinese == "" {
			t.Errorf("%v: empty name", l)
		}
		if strings.TrimSpace(l.Name) != l.Name || strings.TrimSpace(l.Native) != l.Native {
			t.Errorf("%v: names with surrounding space", l)
		}
		if prev, ok := names[l.Name]; ok {
			t.Errorf("English name %q used by %s and %s", l.Name, prev, l.Code)
		}
		names[l.Name] = l.Code
		if !strings.HasSuffix(l.Chinese, "语") && !strings.HasSuffix(l.Chinese, "中文") {
			t.Errorf("%v: Chinese name %q is not a language name", l, l.Chinese)
		}
	}
	all[0].Name = "changed"
	if All()[0].Name == "changed" {
		t.Error("All returns the registry itself, not a copy")
	}
}

func TestLanguageFacts(t *testing.T) {
	// Spot checks of entries shown to users.
	want := []Language{
		{"de", "deu", "German", "Deutsch", "德语", "Latn"},
		{"en", "eng", "English", "English", "英语", "Latn"},
		{"zh", "zho", "Chinese", "中文", "中文", "Hans"},
		{"zh-Hant", "zho", "Traditional Chinese", "繁體中文", "繁体中文", "Hant"},
		{"ja", "jpn", "Japanese", "日本語", "日语", "Jpan"},
		{"ko", "kor", "Korean", "한국어", "韩语", "Kore"},
		{"ar", "ara", "Arabic", "العربية", "阿拉伯语", "Arab"},
		{"hi", "hin", "Hindi", "हिन्दी", "印地语", "Deva"},
		{"ru", "rus", "Russian", "Русский", "俄语", "Cyrl"},
		{"si", "sin", "Sinhala", "සිංහල", "僧伽罗语", "Sinh"},
		{"ckb", "ckb", "Sorani Kurdish", "کوردی", "索拉尼库尔德语", "Arab"},
		{"nso", "nso", "Northern Sotho", "Sesotho sa Leboa", "北索托语", "Latn"},
		{"tl", "tgl", "Filipino", "Filipino", "菲律宾语", "Latn"},
	}
	for _, w := range want {
		got, err := Lookup(w.Code)
		if err != nil || got != w {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v", w.Code, got, err, w)
		}
	}
	for code, rtl := range map[string]bool{"ar": true, "he": true, "fa": true, "ur": true, "ckb": true, "de": false, "zh": false} {
		if l, _ := Lookup(code); l.RTL() != rtl {
			t.Errorf("%s.RTL() = %v", code, !rtl)
		}
	}
	if s := (Language{Code: "de", Name: "German"}).String(); s != "German (de)" {
		t.Errorf("String = %q", s)
	}
}

func TestLookup(t *testing.T) {
	tests := []struct{ in, code string }{
		{"de", "de"}, {"DE", "de"}, {"  de\t", "de"}, {"deu", "de"}, {"German", "de"},
		{"german", "de"}, {"GERMAN", "de"}, {"Deutsch", "de"}, {"deutsch", "de"},
		{"德语", "de"}, {"德文", "de"}, {"英文", "en"}, {"日文", "ja"},
		{"ast", "ast"}, {"Asturian", "ast"}, {"ceb", "ceb"}, {"kea", "kea"},
		{"northern  sotho", "nso"}, {"Northern Sotho", "nso"}, {"Sepedi", "nso"},
		{"Sorani Kurdish", "ckb"}, {"ckb", "ckb"}, {"Central Kurdish", "ckb"},
		{"Farsi", "fa"}, {"fas", "fa"}, {"pes", "fa"}, {"فارسی", "fa"},
		{"fil", "tl"}, {"Tagalog", "tl"}, {"tgl", "tl"},
		{"iw", "he"}, {"in", "id"}, {"nb", "no"}, {"nb-NO", "no"}, {"Bokmål", "no"},
		{"npi", "ne"}, {"swh", "sw"}, {"ory", "or"}, {"Odia", "or"},
		{"si", "si"}, {"Sinhala", "si"}, {"sin", "si"}, {"සිංහල", "si"}, {"僧伽罗语", "si"},
		{"zh", "zh"}, {"中文", "zh"}, {"汉语", "zh"}, {"Chinese", "zh"}, {"Mandarin", "zh"},
		{"Simplified Chinese", "zh"}, {"简体中文", "zh"}, {"cmn", "zh"}, {"zho", "zh"},
		{"zh-CN", "zh"}, {"zh_CN", "zh"}, {"zh-cn", "zh"}, {"zh-Hans", "zh"}, {"zh-SG", "zh"},
		{"cmn-Hans-CN", "zh"}, {"zh-Hans-TW", "zh"}, {"zho_Hans", "zh"},
		{"zh-Hant", "zh-Hant"}, {"zh-hant", "zh-Hant"}, {"zh-TW", "zh-Hant"}, {"zh_TW", "zh-Hant"},
		{"zh-HK", "zh-Hant"}, {"zh-MO", "zh-Hant"}, {"zh-Hant-HK", "zh-Hant"}, {"zh-Hant-CN", "zh-Hant"},
		{"zho_Hant", "zh-Hant"}, {"Traditional Chinese", "zh-Hant"}, {"繁體中文", "zh-Hant"}, {"繁体中文", "zh-Hant"},
		{"pt-BR", "pt"}, {"pt_PT", "pt"}, {"en_US", "en"}, {"en-GB", "en"}, {"en_US.UTF-8", "en"},
		{"sr-Latn-RS", "sr"}, {"sr_RS@latin", "sr"}, {"deu_Latn", "de"}, {"es-419", "es"},
		{"Français", "fr"}, {"FRANÇAIS", "fr"}, {"español", "es"}, {"Tiếng Việt", "vi"},
		{"isiZulu", "zu"}, {"ISIZULU", "zu"}, {"Русский", "ru"}, {"русский", "ru"},
	}
	for _, tt := range tests {
		l, err := Lookup(tt.in)
		if err != nil {
			t.Errorf("Lookup(%q): %v", tt.in, err)
			continue
		}
		if l.Code != tt.code {
			t.Errorf("Lookup(%q) = %s, want %s", tt.in, l.Code, tt.code)
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	tests := []struct {
		in    string
		msg   string // "" to skip
		first string // code of the first suggestion; "" for none
	}{
		{"germn", `unknown language "germn"; did you mean: German (de)?`, "de"},
		{"  Germna ", `unknown language "Germna"; did you mean: German (de)?`, "de"},
		{"portu", "", "pt"},
		{"Portugese", "", "pt"},
		{"Sinhalese", "", "si"},
		{"Franch", "", "fr"},
		{"Francais", "", "fr"},
		{"espanol", "", "es"},
		{"Englsh", "", "en"},
		{"中国", "", "zh"},
		{"ku", `unknown language "ku"; did you mean: Sorani Kurdish (ckb)?`, "ckb"},
		{"qqqqqqqq", `unknown language "qqqqqqqq"`, ""},
		{"", `unknown language ""`, ""},
		{"yue", "", ""},
		{"zh-yue", "", ""},
		{"klingon", "", ""},
		{"en-", "", "en"},
		{"en--US", "", ""},
		{"en US", "", ""},
		{"english-US", "", "en"},
		{strings.Repeat("germanx", 1e5), "", ""},
	}
	for _, tt := range tests {
		_, err := Lookup(tt.in)
		var ue *UnknownLanguageError
		if !errors.As(err, &ue) {
			t.Errorf("Lookup(%q) error = %v, want *UnknownLanguageError", tt.in, err)
			continue
		}
		if ue.Code() != CodeUnknownLanguage || ErrorCode(err) != "unknown_language" {
			t.Errorf("Lookup(%q): code %q", tt.in, ue.Code())
		}
		if tt.msg != "" && err.Error() != tt.msg {
			t.Errorf("Lookup(%q) error = %q, want %q", tt.in, err, tt.msg)
		}
		if len(ue.Suggestions) > 3 {
			t.Errorf("Lookup(%q): %d suggestions", tt.in, len(ue.Suggestions))
		}
		first := ""
		if len(ue.Suggestions) > 0 {
			first = ue.Suggestions[0].Code
		}
		if first != tt.first {
			t.Errorf("Lookup(%q): first suggestion %q (%v), want %q", tt.in, first, err, tt.first)
		}
	}
	for _, in := range []string{"zh-cmn", "zh-cmn-Hans-CN", "ar-arb-EG"} {
		if _, err := Lookup(in); err != nil {
			t.Errorf("Lookup(%q): %v", in, err)
		}
	}
	if l, _ := Lookup("zh-cmn-Hant-TW"); l.Code != "zh-Hant" {
		t.Errorf("Lookup(zh-cmn-Hant-TW) = %v", l)
	}
}

func TestUnknownLanguageErrorMessage(t *testing.T) {
	de, _ := Lookup("de")
	ka, _ := Lookup("ka")
	e := &UnknownLanguageError{Input: "x\"y", Field: "target", Suggestions: []Language{de, ka}}
	if got, want := e.Error(), `unknown target language "x\"y"; did you mean: German (de), Georgian (ka)?`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	long := strings.Repeat("ä", 100)
	if msg := (&UnknownLanguageError{Input: long}).Error(); len(msg) > 100 || !strings.HasSuffix(msg, `…"`) {
		t.Errorf("long input not shortened: %q", msg)
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"german", "german", 0}, {"germn", "german", 1},
		{"germna", "german", 1}, {"kitten", "sitting", 3}, {"德语", "德文", 1}, {"ab", "ba", 1},
	}
	for _, tt := range tests {
		if d := distance(tt.a, tt.b); d != tt.d {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, d, tt.d)
		}
		if d := distance(tt.b, tt.a); d != tt.d {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.b, tt.a, d, tt.d)
		}
	}
}

func FuzzLookup(f *testing.F) {
	for _, s := range []string{"de", "zh-TW", "germn", "en_US.UTF-8", "繁體中文", "\xff", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Lookup(s)
		if err == nil {
			if l2, err := Lookup(l.Code); err != nil || l2 != l {
				t.Fatalf("Lookup(%q) = %v, but Lookup of its code = %v, %v", s, l, l2, err)
			}
			return
		}
		var ue *UnknownLanguageError
		if !errors.As(err, &ue) || len(ue.Suggestions) > 3 {
			t.Fatalf("Lookup(%q): %v", s, err)
		}
		_ = err.Error()
	})
}
