#pragma once
// GB/T 21010-2017 土地利用现状分类: the first- and second-level codes and their names.
#include <string>

namespace farmwatch {

/// The GB/T 21010-2017 name of a first- or second-level code ("01" -> "耕地", "0103" ->
/// "旱地"), or of a range of first-level codes ("05-10" -> "商服用地至交通运输用地"); empty if
/// the standard has no such code.
std::string gbt21010_name(const std::string& code);

}  // namespace farmwatch
