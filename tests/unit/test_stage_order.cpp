// The data flow between the stages of a run is declared and checked.
#include <gtest/gtest.h>

#include "farmwatch/pipeline/stage.h"

using namespace farmwatch::pipeline;

TEST(StageOrder, TheStandardStagesGiveWhatLaterOnesNeed) {
  const auto stages = standard_stages();  // checks itself; throws on a bad order
  ASSERT_FALSE(stages.empty());
  EXPECT_EQ(stages.front()->name(), "validate");
  EXPECT_NO_THROW(check_stage_order(stages));
}

TEST(StageOrder, AStageBeforeWhatItNeedsIsRefusedByName) {
  auto stages = standard_stages();
  // Tiles before the rasters they are made of.
  std::size_t tiles = 0, rasters = 0;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    if (stages[i]->name() == "tiles") tiles = i;
    if (stages[i]->name() == "rasters") rasters = i;
  }
  std::swap(stages[tiles], stages[rasters]);
  try {
    check_stage_order(stages);
    FAIL() << "a misordered list was accepted";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("'tiles' needs rasters"), std::string::npos) << e.what();
  }
}
