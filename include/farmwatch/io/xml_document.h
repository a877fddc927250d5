#pragma once
// Product metadata in XML (Sentinel-2 MTD, Gaofen scene XML), read with a real parser
// (tinyxml2), not regular expressions: comments, CDATA, attributes and namespaces are handled.
#include <memory>
#include <optional>
#include <string>

namespace farmwatch::io {

/// A parsed XML file.
class XmlDocument {
 public:
  /// Parses `path`; InputError "cannot read <what> '<path>': <parser message>" when the file is
  /// missing or not well-formed XML.
  static XmlDocument load(const std::string& path, const std::string& what);
  /// Like load, but nothing (no exception) when the file is not well-formed XML.
  static std::optional<XmlDocument> try_load(const std::string& path);
  ~XmlDocument();
  XmlDocument(XmlDocument&&) noexcept;
  XmlDocument& operator=(XmlDocument&&) noexcept;

  /// The trimmed text of the first element named `name` (local name, any depth, document
  /// order), or empty when there is none.
  std::string text(const std::string& name) const;
  /// text(name) as a number; nothing when absent or not a number.
  std::optional<double> number(const std::string& name) const;

 private:
  XmlDocument();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace farmwatch::io
