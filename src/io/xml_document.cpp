#include "farmwatch/io/xml_document.h"

#include <tinyxml2.h>

#include <cstring>

#include "farmwatch/core/error.h"

namespace farmwatch::io {

struct XmlDocument::Impl {
  tinyxml2::XMLDocument doc;
};

XmlDocument::XmlDocument() : impl_(std::make_unique<Impl>()) {}
XmlDocument::~XmlDocument() = default;
XmlDocument::XmlDocument(XmlDocument&&) noexcept = default;
XmlDocument& XmlDocument::operator=(XmlDocument&&) noexcept = default;

XmlDocument XmlDocument::load(const std::string& path, const std::string& what) {
  XmlDocument d;
  if (d.impl_->doc.LoadFile(path.c_str()) != tinyxml2::XML_SUCCESS)
    throw InputError("cannot read " + what + " '" + path + "': " +
                     (d.impl_->doc.ErrorStr() ? d.impl_->doc.ErrorStr() : "not XML"));
  return d;
}

std::optional<XmlDocument> XmlDocument::try_load(const std::string& path) {
  XmlDocument d;
  if (d.impl_->doc.LoadFile(path.c_str()) != tinyxml2::XML_SUCCESS) return std::nullopt;
  return d;
}

namespace {
/// `n:name` and `name` both match `name`.
bool local_name_is(const char* element, const std::string& name) {
  const char* colon = std::strrchr(element, ':');
  return name == (colon ? colon + 1 : element);
}

const tinyxml2::XMLElement* find(const tinyxml2::XMLElement* e, const std::string& name) {
  for (; e; e = e->NextSiblingElement()) {
    if (local_name_is(e->Name(), name)) return e;
    if (const auto* inner = find(e->FirstChildElement(), name)) return inner;
  }
  return nullptr;
}

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}
}  // namespace

std::string XmlDocument::text(const std::string& name) const {
  const auto* e = find(impl_->doc.FirstChildElement(), name);
  return e && e->GetText() ? trim(e->GetText()) : std::string();
}

std::optional<double> XmlDocument::number(const std::string& name) const {
  const std::string v = text(name);
  if (v.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    const double x = std::stod(v, &used);
    if (used != v.size()) return std::nullopt;
    return x;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace farmwatch::io
