// JSON text for output written by hand (traces, summaries, the CLI's --json): a string
// quoted and escaped, and the UTF-8 check a writer needs before it may call bytes a string.
//
// Promises: json_quote() escapes '"', '\\' and every control character below 0x20 ("\n" and
// "\t" short, the rest as \u00XX), so its result is one valid JSON string whenever the input
// is valid UTF-8; other bytes pass through unchanged (a caller with arbitrary bytes checks
// is_valid_utf8() first, e.g. to use base64 instead).
#pragma once

#include <string>
#include <string_view>

namespace cairn {

std::string json_quote(std::string_view s);
// Well-formed UTF-8: no stray continuation bytes, truncated or overlong sequences, UTF-16
// surrogates (U+D800..U+DFFF) or code points beyond U+10FFFF.
bool is_valid_utf8(std::string_view bytes);

}  // namespace cairn
