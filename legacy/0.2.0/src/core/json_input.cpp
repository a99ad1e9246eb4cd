#include "json_input.hpp"

#include <vector>

namespace wf {
namespace {

using json = nlohmann::json;

// A SAX handler that builds the DOM (nlohmann's own builder) and follows the
// JSON path of the value being read.
class PathTrackingSax {
 public:
  PathTrackingSax(ParsedJson& out, CompileError& error)
      : dom_(out.doc, true), out_(out), error_(error) {}

  bool null() { return scalar(dom_.null()); }
  bool boolean(bool v) { return scalar(dom_.boolean(v)); }
  bool number_integer(json::number_integer_t v) { return scalar(dom_.number_integer(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return scalar(dom_.number_unsigned(v)); }
  bool number_float(json::number_float_t v, const std::string& s) {
    out_.raw_numbers.emplace(here(), s);
    return scalar(dom_.number_float(v, s));
  }
  bool string(std::string& v) { return scalar(dom_.string(v)); }
  bool binary(json::binary_t& v) { return scalar(dom_.binary(v)); }
  bool start_object(std::size_t n) {
    stack_.push_back(Frame{false, 0, {}});
    return dom_.start_object(n);
  }
  bool key(std::string& k) {
    stack_.back().key = k;
    return dom_.key(k);
  }
  bool end_object() {
    stack_.pop_back();
    advance();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    stack_.push_back(Frame{true, 0, {}});
    return dom_.start_array(n);
  }
  bool end_array() {
    stack_.pop_back();
    advance();
    return dom_.end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& ex) {
    if (ex.id == 406) {  // a number out of range: say where
      error_.message = "number " + token.substr(0, 40) + (token.size() > 40 ? "..." : "") +
                       " is out of range (not a finite double)";
      error_.path = here();
      return false;
    }
    return dom_.parse_error(position, token, ex);  // throws, as json::parse does
  }

 private:
  struct Frame {
    bool array;
    size_t next;  // array: index of the element being read
    std::string key;
  };

  bool scalar(bool ok) {
    advance();
    return ok;
  }
  void advance() {
    if (!stack_.empty() && stack_.back().array) ++stack_.back().next;
  }
  std::string here() const {
    std::string path = "$";
    for (const Frame& f : stack_) {
      if (f.array)
        path += "[" + std::to_string(f.next) + "]";
      else
        path += "." + f.key;
    }
    return path;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  ParsedJson& out_;
  CompileError& error_;
  std::vector<Frame> stack_;
};

}  // namespace

bool parse_condition_json(const char* text, size_t len, ParsedJson& out, CompileError& error) {
  PathTrackingSax sax(out, error);
  error.path.clear();
  const bool ok = json::sax_parse(text, text + len, &sax);
  if (!ok && error.path.empty()) {
    error.message = "malformed JSON";
    error.path = "$";
  }
  return ok;
}

}  // namespace wf
