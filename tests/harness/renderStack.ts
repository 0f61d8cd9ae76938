// Lives in offline/ (what render and the tests share); kept here so tests import the harness from one place.
export * from "../../offline/renderStack";
