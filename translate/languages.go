package translate

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Language is one entry of the language registry.
type Language struct {
	// Code is the identifier used throughout baylingd: the ISO 639-1 code
	// where one exists ("de"), else the ISO 639-3 code ("ast", "ceb"), as in
	// the Flores-101 list of the BayLing group's multilingual demo. Traditional
	// Chinese, a script variant rather than a language, uses the BCP-47 tag
	// "zh-Hant".
	Code string `json:"code"`
	// ISO639_3 is the ISO 639-3 code. For a language with an ISO 639-1 code it
	// is the equivalent ISO 639-2/T code, which for macrolanguages is the
	// macrolanguage code ("ara", "fas", "zho"), not one member ("arb").
	ISO639_3 string `json:"iso639_3"`
	// Name is the English name, the one written into English prompts
	// ("Provide the German translation ...").
	Name string `json:"name"`
	// Native is the name of the language in itself ("Deutsch", "中文").
	Native string `json:"native"`
	// Chinese is the name in Simplified Chinese, the one written into
	// Chinese-phrased prompts ("提供这句话的德语翻译：...").
	Chinese string `json:"chinese"`
	// Script is the ISO 15924 code of the script the language is written in
	// by default ("Latn", "Cyrl", "Hans", "Arab", "Deva").
	Script string `json:"script"`
}

// String returns the English name and the code, as in "German (de)".
func (l Language) String() string { return l.Name + " (" + l.Code + ")" }

// RTL reports whether the language's script is written right to left.
func (l Language) RTL() bool {
	switch l.Script {
	case "Arab", "Hebr", "Syrc", "Thaa", "Nkoo", "Adlm":
		return true
	}
	return false
}

// languages is the registry: the Flores-101 set of the BayLing group's
// multilingual demo (English names as that demo writes them into prompts),
// plus Sinhala (shown in BayLing 2's demos) and Traditional Chinese.
var languages = []Language{
	{"af", "afr", "Afrikaans", "Afrikaans", "南非荷兰语", "Latn"},
	{"am", "amh", "Amharic", "አማርኛ", "阿姆哈拉语", "Ethi"},
	{"ar", "ara", "Arabic", "العربية", "阿拉伯语", "Arab"},
	{"as", "asm", "Assamese", "অসমীয়া", "阿萨姆语", "Beng"},
	{"ast", "ast", "Asturian", "Asturianu", "阿斯图里亚斯语", "Latn"},
	{"az", "aze", "Azerbaijani", "Azərbaycanca", "阿塞拜疆语", "Latn"},
	{"be", "bel", "Belarusian", "Беларуская", "白俄罗斯语", "Cyrl"},
	{"bg", "bul", "Bulgarian", "Български", "保加利亚语", "Cyrl"},
	{"bn", "ben", "Bengali", "বাংলা", "孟加拉语", "Beng"},
	{"bs", "bos", "Bosnian", "Bosanski", "波斯尼亚语", "Latn"},
	{"ca", "cat", "Catalan", "Català", "加泰罗尼亚语", "Latn"},
	{"ceb", "ceb", "Cebuano", "Cebuano", "宿务语", "Latn"},
	{"ckb", "ckb", "Sorani Kurdish", "کوردی", "索拉尼库尔德语", "Arab"},
	{"cs", "ces", "Czech", "Čeština", "捷克语", "Latn"},
	{"cy", "cym", "Welsh", "Cymraeg", "威尔士语", "Latn"},
	{"da", "dan", "Danish", "Dansk", "丹麦语", "Latn"},
	{"de", "deu", "German", "Deutsch", "德语", "Latn"},
	{"el", "ell", "Greek", "Ελληνικά", "希腊语", "Grek"},
	{"en", "eng", "English", "English", "英语", "Latn"},
	{"es", "spa", "Spanish", "Español", "西班牙语", "Latn"},
	{"et", "est", "Estonian", "Eesti", "爱沙尼亚语", "Latn"},
	{"fa", "fas", "Persian", "فارسی", "波斯语", "Arab"},
	{"ff", "ful", "Fulah", "Fulfulde", "富拉语", "Latn"},
	{"fi", "fin", "Finnish", "Suomi", "芬兰语", "Latn"},
	{"fr", "fra", "French", "Français", "法语", "Latn"},
	{"ga", "gle", "Irish", "Gaeilge", "爱尔兰语", "Latn"},
	{"gl", "glg", "Galician", "Galego", "加利西亚语", "Latn"},
	{"gu", "guj", "Gujarati", "ગુજરાતી", "古吉拉特语", "Gujr"},
	{"ha", "hau", "Hausa", "Hausa", "豪萨语", "Latn"},
	{"he", "heb", "Hebrew", "עברית", "希伯来语", "Hebr"},
	{"hi", "hin", "Hindi", "हिन्दी", "印地语", "Deva"},
	{"hr", "hrv", "Croatian", "Hrvatski", "克罗地亚语", "Latn"},
	{"hu", "hun", "Hungarian", "Magyar", "匈牙利语", "Latn"},
	{"hy", "hye", "Armenian", "Հայերեն", "亚美尼亚语", "Armn"},
	{"id", "ind", "Indonesian", "Bahasa Indonesia", "印度尼西亚语", "Latn"},
	{"ig", "ibo", "Igbo", "Igbo", "伊博语", "Latn"},
	{"is", "isl", "Icelandic", "Íslenska", "冰岛语", "Latn"},
	{"it", "ita", "Italian", "Italiano", "意大利语", "Latn"},
	{"ja", "jpn", "Japanese", "日本語", "日语", "Jpan"},
	{"jv", "jav", "Javanese", "Basa Jawa", "爪哇语", "Latn"},
	{"ka", "kat", "Georgian", "ქართული", "格鲁吉亚语", "Geor"},
	{"kam", "kam", "Kamba", "Kikamba", "坎巴语", "Latn"},
	{"kea", "kea", "Kabuverdianu", "Kabuverdianu", "佛得角克里奥尔语", "Latn"},
	{"kk", "kaz", "Kazakh", "Қазақ тілі", "哈萨克语", "Cyrl"},
	{"km", "khm", "Khmer", "ភាសាខ្មែរ", "高棉语", "Khmr"},
	{"kn", "kan", "Kannada", "ಕನ್ನಡ", "卡纳达语", "Knda"},
	{"ko", "kor", "Korean", "한국어", "韩语", "Kore"},
	{"ky", "kir", "Kyrgyz", "Кыргызча", "吉尔吉斯语", "Cyrl"},
	{"lb", "ltz", "Luxembourgish", "Lëtzebuergesch", "卢森堡语", "Latn"},
	{"lg", "lug", "Ganda", "Luganda", "卢干达语", "Latn"},
	{"ln", "lin", "Lingala", "Lingála", "林加拉语", "Latn"},
	{"lo", "lao", "Lao", "ພາສາລາວ", "老挝语", "Laoo"},
	{"lt", "lit", "Lithuanian", "Lietuvių", "立陶宛语", "Latn"},
	{"luo", "luo", "Luo", "Dholuo", "卢奥语", "Latn"},
	{"lv", "lav", "Latvian", "Latviešu", "拉脱维亚语", "Latn"},
	{"mi", "mri", "Maori", "Te reo Māori", "毛利语", "Latn"},
	{"mk", "mkd", "Macedonian", "Македонски", "马其顿语", "Cyrl"},
	{"ml", "mal", "Malayalam", "മലയാളം", "马拉雅拉姆语", "Mlym"},
	{"mn", "mon", "Mongolian", "Монгол хэл", "蒙古语", "Cyrl"},
	{"mr", "mar", "Marathi", "मराठी", "马拉地语", "Deva"},
	{"ms", "msa", "Malay", "Bahasa Melayu", "马来语", "Latn"},
	{"mt", "mlt", "Maltese", "Malti", "马耳他语", "Latn"},
	{"my", "mya", "Burmese", "မြန်မာဘာသာ", "缅甸语", "Mymr"},
	{"ne", "nep", "Nepali", "नेपाली", "尼泊尔语", "Deva"},
	{"nl", "nld", "Dutch", "Nederlands", "荷兰语", "Latn"},
	{"no", "nor", "Norwegian", "Norsk", "挪威语", "Latn"},
	{"nso", "nso", "Northern Sotho", "Sesotho sa Leboa", "北索托语", "Latn"},
	{"ny", "nya", "Nyanja", "Chichewa", "尼扬贾语", "Latn"},
	{"oc", "oci", "Occitan", "Occitan", "奥克语", "Latn"},
	{"om", "orm", "Oromo", "Afaan Oromoo", "奥罗莫语", "Latn"},
	{"or", "ori", "Oriya", "ଓଡ଼ିଆ", "奥里亚语", "Orya"},
	{"pa", "pan", "Punjabi", "ਪੰਜਾਬੀ", "旁遮普语", "Guru"},
	{"pl", "pol", "Polish", "Polski", "波兰语", "Latn"},
	{"ps", "pus", "Pashto", "پښتو", "普什图语", "Arab"},
	{"pt", "por", "Portuguese", "Português", "葡萄牙语", "Latn"},
	{"ro", "ron", "Romanian", "Română", "罗马尼亚语", "Latn"},
	{"ru", "rus", "Russian", "Русский", "俄语", "Cyrl"},
	{"sd", "snd", "Sindhi", "سنڌي", "信德语", "Arab"},
	{"si", "sin", "Sinhala", "සිංහල", "僧伽罗语", "Sinh"},
	{"sk", "slk", "Slovak", "Slovenčina", "斯洛伐克语", "Latn"},
	{"sl", "slv", "Slovenian", "Slovenščina", "斯洛文尼亚语", "Latn"},
	{"sn", "sna", "Shona", "ChiShona", "绍纳语", "Latn"},
	{"so", "som", "Somali", "Soomaali", "索马里语", "Latn"},
	{"sr", "srp", "Serbian", "Српски", "塞尔维亚语", "Cyrl"},
	{"sv", "swe", "Swedish", "Svenska", "瑞典语", "Latn"},
	{"sw", "swa", "Swahili", "Kiswahili", "斯瓦希里语", "Latn"},
	{"ta", "tam", "Tamil", "தமிழ்", "泰米尔语", "Taml"},
	{"te", "tel", "Telugu", "తెలుగు", "泰卢固语", "Telu"},
	{"tg", "tgk", "Tajik", "Тоҷикӣ", "塔吉克语", "Cyrl"},
	{"th", "tha", "Thai", "ไทย", "泰语", "Thai"},
	{"tl", "tgl", "Filipino", "Filipino", "菲律宾语", "Latn"},
	{"tr", "tur", "Turkish", "Türkçe", "土耳其语", "Latn"},
	{"uk", "ukr", "Ukrainian", "Українська", "乌克兰语", "Cyrl"},
	{"umb", "umb", "Umbundu", "Umbundu", "翁本杜语", "Latn"},
	{"ur", "urd", "Urdu", "اردو", "乌尔都语", "Arab"},
	{"uz", "uzb", "Uzbek", "Oʻzbekcha", "乌兹别克语", "Latn"},
	{"vi", "vie", "Vietnamese", "Tiếng Việt", "越南语", "Latn"},
	{"wo", "wol", "Wolof", "Wolof", "沃洛夫语", "Latn"},
	{"xh", "xho", "Xhosa", "isiXhosa", "科萨语", "Latn"},
	{"yo", "yor", "Yoruba", "Yorùbá", "约鲁巴语", "Latn"},
	{"zh", "zho", "Chinese", "中文", "中文", "Hans"},
	{"zh-Hant", "zho", "Traditional Chinese", "繁體中文", "繁体中文", "Hant"},
	{"zu", "zul", "Zulu", "isiZulu", "祖鲁语", "Latn"},
}

// codeAliases are further codes accepted by Lookup: deprecated ISO 639-1
// codes, ISO 639-3 codes of the individual languages that Flores-101/NLLB
// use for a macrolanguage's member, and other codes in common use.
var codeAliases = map[string]string{
	"fil": "tl", // Filipino (ISO 639-2/3)
	"iw":  "he", // deprecated ISO 639-1 code for Hebrew
	"in":  "id", // deprecated ISO 639-1 code for Indonesian
	"jw":  "jv", // deprecated ISO 639-1 code for Javanese
	"mo":  "ro", // deprecated ISO 639-1 code for Moldavian
	"nb":  "no", // Norwegian Bokmål, the written standard meant by "Norwegian"
	"nob": "no", // Norwegian Bokmål (Flores/NLLB)
	"cmn": "zh", // Mandarin Chinese
	"arb": "ar", // Standard Arabic (Flores/NLLB)
	"azj": "az", // North Azerbaijani (Flores/NLLB)
	"npi": "ne", // Nepali individual language (Flores/NLLB)
	"ory": "or", // Odia individual language (Flores/NLLB)
	"swh": "sw", // Swahili individual language (Flores/NLLB)
	"pbt": "ps", // Southern Pashto (Flores/NLLB)
	"pes": "fa", // Iranian Persian (Flores/NLLB)
	"zsm": "ms", // Standard Malay (Flores/NLLB)
	"khk": "mn", // Halh Mongolian (Flores/NLLB)
	"gaz": "om", // West Central Oromo (Flores/NLLB)
	"uzn": "uz", // Northern Uzbek (Flores/NLLB)
	"lvs": "lv", // Standard Latvian (Flores/NLLB)
	"ekk": "et", // Standard Estonian (Flores/NLLB)
	"zht": "zh-Hant",
}

// nameAliases are further names accepted by Lookup (matched case-insensitively).
var nameAliases = map[string]string{
	"Tagalog":               "tl",
	"Fula":                  "ff",
	"Fulani":                "ff",
	"Kirghiz":               "ky",
	"Myanmar":               "my",
	"Chichewa":              "ny",
	"Chewa":                 "ny",
	"Odia":                  "or",
	"Panjabi":               "pa",
	"Pushto":                "ps",
	"Farsi":                 "fa",
	"Central Kurdish":       "ckb",
	"Sorani":                "ckb",
	"Kurdish (Sorani)":      "ckb",
	"Sepedi":                "nso",
	"Pedi":                  "nso",
	"Cape Verdean Creole":   "kea",
	"Slovene":               "sl",
	"Moldovan":              "ro",
	"Moldavian":             "ro",
	"Norwegian Bokmål":      "no",
	"Norwegian Bokmal":      "no",
	"Bokmål":                "no",
	"Bokmal":                "no",
	"Irish Gaelic":          "ga",
	"Māori":                 "mi",
	"Central Khmer":         "km",
	"Mandarin":              "zh",
	"Simplified Chinese":    "zh",
	"Chinese (Simplified)":  "zh",
	"Chinese (Traditional)": "zh-Hant",
	"Persian (Farsi)":       "fa",
	"Odia (Oriya)":          "or",
	"Te reo":                "mi",
	"汉语":                    "zh",
	"漢語":                    "zh",
	"简体中文":                  "zh",
	"普通话":                   "zh",
	"中文（简体）":                "zh",
	"繁體中文":                  "zh-Hant",
	"中文（繁体）":                "zh-Hant",
	"中文（繁體）":                "zh-Hant",
	"印尼语":                   "id",
	"朝鲜语":                   "ko",
	"柯尔克孜语":                 "ky",
	"阿非利卡语":                 "af",
	"齐切瓦语":                  "ny",
	"中库尔德语":                 "ckb",
	"干达语":                   "lg",
	"他加禄语":                  "tl",
	"佛得角克里奥尔语":              "kea",
}

// registry indexes.
var (
	byCode  = map[string]int{} // lower-case codes and code aliases
	byKey   = map[string]int{} // every accepted lower-case key (codes, names, aliases)
	keyList []langKey          // every key, for suggestions
)

type langKey struct {
	key string // lower-case
	idx int
}

func init() {
	add := func(keys bool, k string, i int, what string) {
		m := byCode
		if keys {
			m = byKey
		}
		k = normKey(k)
		if k == "" {
			panic("translate: empty " + what + " for " + languages[i].Code)
		}
		if j, ok := m[k]; ok {
			if j != i {
				panic(fmt.Sprintf("translate: %s %q names both %s and %s", what, k, languages[j].Code, languages[i].Code))
			}
			return
		}
		m[k] = i
		if keys {
			keyList = append(keyList, langKey{k, i})
		}
	}
	idx := map[string]int{}
	for i, l := range languages {
		idx[l.Code] = i
	}
	for i, l := range languages {
		add(false, l.Code, i, "code")
		add(true, l.Code, i, "code")
		if l.Code != "zh-Hant" { // shares "zho" with zh
			add(false, l.ISO639_3, i, "ISO 639-3 code")
			add(true, l.ISO639_3, i, "ISO 639-3 code")
		}
		add(true, l.Name, i, "name")
		add(true, l.Native, i, "native name")
		add(true, l.Chinese, i, "Chinese name")
		// 英语 -> 英文, 德语 -> 德文: both are common for the written language.
		if c, ok := strings.CutSuffix(l.Chinese, "语"); ok {
			if _, taken := byKey[normKey(c+"文")]; !taken {
				add(true, c+"文", i, "Chinese name")
			}
		}
	}
	for a, code := range codeAliases {
		i, ok := idx[code]
		if !ok {
			panic("translate: alias " + a + " for unknown code " + code)
		}
		add(false, a, i, "code alias")
		add(true, a, i, "code alias")
	}
	for a, code := range nameAliases {
		i, ok := idx[code]
		if !ok {
			panic("translate: alias " + a + " for unknown code " + code)
		}
		add(true, a, i, "name alias")
	}
	// All documents its order; the table is written in it.
	for i := 1; i < len(languages); i++ {
		if languages[i-1].Code >= languages[i].Code {
			panic("translate: language table is not sorted by code at " + languages[i].Code)
		}
	}
	sort.Slice(keyList, func(a, b int) bool { return keyList[a].key < keyList[b].key })
}

// normKey lower-cases s, trims it and collapses runs of white space.
func normKey(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// All returns every language of the registry, sorted by Code. The slice is a
// copy; callers may modify it.
func All() []Language {
	out := make([]Language, len(languages))
	copy(out, languages)
	return out
}

// Lookup finds a language by ISO 639-1 code, ISO 639-3 code, English name,
// native name or Chinese name, case-insensitively and ignoring surrounding
// white space. BCP-47 tags and POSIX-style locales ("zh-CN", "pt-BR", "en_US",
// "deu_Latn", "sr-Latn-RS") resolve to their language; for Chinese the script
// or region picks the script variant: zh-Hant, zh-TW, zh-HK and zh-MO resolve
// to Traditional Chinese (zh-Hant), everything else to Chinese (zh, written in
// simplified characters). Other script and region subtags are ignored.
//
// An unknown input returns an *UnknownLanguageError with up to three close
// matches.
func Lookup(s string) (Language, error) {
	k := normKey(s)
	if i, ok := byKey[k]; ok {
		return languages[i], nil
	}
	if l, ok := lookupTag(k); ok {
		return l, nil
	}
	return Language{}, &UnknownLanguageError{Input: strings.TrimSpace(s), Suggestions: suggest(k)}
}

// lookupTag resolves a BCP-47 tag or POSIX locale (already lower-cased).
func lookupTag(k string) (Language, bool) {
	k = strings.ReplaceAll(k, "_", "-")
	if i := strings.IndexAny(k, ".@"); i >= 0 { // POSIX "en_US.UTF-8", "sr_RS@latin"
		k = k[:i]
	}
	parts := strings.Split(k, "-")
	for _, p := range parts {
		if p == "" || len(p) > 8 || !isAlnum(p) {
			return Language{}, false
		}
	}
	// An extended language subtag names the language: "zh-yue" is Cantonese
	// (yue), "zh-cmn" Mandarin, "ar-arb" Standard Arabic.
	if len(parts) > 1 && len(parts[1]) == 3 && isAlpha(parts[1]) {
		parts = parts[1:]
	}
	i, ok := byCode[parts[0]]
	if !ok {
		return Language{}, false
	}
	l := languages[i]
	if l.Code == "zh" || l.Code == "zh-Hant" {
		trad := l.Code == "zh-Hant"
		for _, p := range parts[1:] {
			switch p {
			case "hant", "tw", "hk", "mo":
				trad = true
			case "hans", "cn", "sg", "my":
				trad = false
			}
			if p == "hant" || p == "hans" { // an explicit script wins over the region
				break
			}
		}
		if trad {
			return languages[byCode["zh-hant"]], true
		}
		return languages[byCode["zh"]], true
	}
	return l, true
}

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// hints are codes of languages that are not in the registry, with the
// registry language to suggest for them.
var hints = map[string]string{
	"ku":  "ckb", // Kurdish: the registry has Sorani (Central Kurdish)
	"kur": "ckb",
}

// maxSuggestInput bounds the input (in runes) that suggest compares, so that
// a huge bogus language field costs nothing.
const maxSuggestInput = 40

// suggest returns up to three languages whose codes or names are close to k.
func suggest(k string) []Language {
	if k == "" {
		return nil
	}
	if code, ok := hints[k]; ok {
		return []Language{languages[byCode[code]]}
	}
	n := utf8.RuneCountInString(k)
	if n > maxSuggestInput {
		return nil // no language name is this long; do not spend time on it
	}
	limit := 1
	switch {
	case n >= 8:
		limit = 3
	case n >= 4:
		limit = 2
	}
	best := map[int]int{} // language index -> best score
	for _, e := range keyList {
		d := distance(k, e.key)
		if n >= 3 && strings.HasPrefix(e.key, k) && utf8.RuneCountInString(e.key) > n {
			d = min(d, 1) // "portu" -> Portuguese
		}
		if d > limit {
			continue
		}
		if old, ok := best[e.idx]; !ok || d < old {
			best[e.idx] = d
		}
	}
	type cand struct{ idx, d int }
	cs := make([]cand, 0, len(best))
	for i, d := range best {
		cs = append(cs, cand{i, d})
	}
	sort.Slice(cs, func(a, b int) bool {
		if cs[a].d != cs[b].d {
			return cs[a].d < cs[b].d
		}
		return languages[cs[a].idx].Code < languages[cs[b].idx].Code
	})
	if len(cs) > 3 {
		cs = cs[:3]
	}
	out := make([]Language, len(cs))
	for i, c := range cs {
		out[i] = languages[c.idx]
	}
	return out
}

// distance is the optimal-string-alignment edit distance between a and b
// counted in runes: insertions, deletions, substitutions and transpositions
// of adjacent runes each cost one.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 {
		return len(rb)
	}
	if len(rb) == 0 {
		return len(ra)
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
