#include "adapters/http/url.h"

#include <string>

#include "gtest/gtest.h"

namespace execgw::http {
namespace {

TEST(PercentEncodeTest, UnreservedCharactersStay) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(PercentEncodeTest, EverythingElseIsEscaped) {
  EXPECT_EQ(PercentEncode("a/b?c#d&e=f+g h%i"), "a%2Fb%3Fc%23d%26e%3Df%2Bg%20h%25i");
  EXPECT_EQ(PercentEncode("2026-01-01T00:00:00Z"), "2026-01-01T00%3A00%3A00Z");
  EXPECT_EQ(PercentEncode("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(PercentEncode(std::string("a\0b", 3)), "a%00b");
}

}  // namespace
}  // namespace execgw::http
