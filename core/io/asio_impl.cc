// The one translation unit that compiles Asio and Beast (separate compilation): every other
// file sees only their declarations, so an edit elsewhere never recompiles them.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
// TLS streams (the fetcher's https downloads).
#include <boost/asio/ssl/impl/src.hpp>
