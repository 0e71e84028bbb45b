#ifndef EXECGW_ADAPTERS_HTTP_URL_H_
#define EXECGW_ADAPTERS_HTTP_URL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace execgw::http {

// RFC 3986 percent-encoding of one URL component: a path segment or a query
// value. Unreserved characters (ALPHA / DIGIT / "-" / "." / "_" / "~") stay;
// every other byte becomes %XX (upper-case hex), so '/', '?', '#', '&', '=',
// '+', '%' and spaces in caller input cannot change the route or the query.
std::string PercentEncode(absl::string_view component);

}  // namespace execgw::http

#endif  // EXECGW_ADAPTERS_HTTP_URL_H_
