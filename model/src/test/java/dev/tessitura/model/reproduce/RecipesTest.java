package dev.tessitura.model.reproduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.model.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The shipped recipes, their grammar, and the candidates a search expands into. */
class RecipesTest {
    @Test
    void everyShippedRowTrainsAModelOfTheRegistryWithOptionsItTakesUnderEveryBudget() {
        Recipes r = Recipes.load();
        assertTrue(r.version() >= 1);
        assertTrue(r.rows().size() >= 7, "rows " + r.rows());
        for (Recipes.Row row : r.rows()) {
            assertTrue(Models.find(row.model()).isPresent(), row.id() + ": " + row.model());
            for (String budget : Recipes.BUDGETS) {
                List<Candidate> cs = Candidate.of(row, budget);
                assertTrue(!cs.isEmpty(), row.id() + " " + budget);
                for (Candidate c : cs) c.check(row, Reproduction.evaluation(row, r.budgets().get(budget), Models.byName(row.model())));
            }
        }
        assertEquals(List.of("random", "1-gram", "n-gram", "repeat"), r.rows().subList(0, 4).stream().map(Recipes.Row::id).toList());
    }

    /** The Nottingham files are recognised by the hashes ../shared pins; the other three data sets have their lines waiting. */
    @Test
    void theRecipesKnowNottinghamByItsPinnedHashes() throws Exception {
        Recipes r = Recipes.load();
        Recipes.PaperData n = r.paper().stream().filter(p -> p.id().equals("nottingham")).findFirst().orElseThrow();
        assertArrayEquals(new double[] {-61.00, 4.53}, n.figures().get("random"), 0);
        assertTrue(Double.isNaN(n.figures().get("n-gram")[1]));
        assertEquals(List.of("jsb", "musedata", "piano-midi"), r.paper().stream().map(Recipes.PaperData::id).filter(id -> !id.equals("nottingham")).toList());
        String shared = System.getProperty("tessitura.shared", "");
        Path sums = Path.of(shared, "datasets", "nottingham", "SHA256SUMS");
        Assumptions.assumeTrue(!shared.isEmpty() && Files.isRegularFile(sums), "shared Nottingham data absent at " + sums);
        for (String line : Files.readAllLines(sums)) {
            if (line.isBlank()) continue;
            assertNotNull(r.recognise(line.split("\\s+")[0]), line);
            assertEquals("Nottingham", r.recognise(line.split("\\s+")[0]).name());
        }
    }

    @Test
    void aSearchIsEveryCombinationOfItsAlternativesTheFirstSlowest() {
        Recipes r = Recipes.parse("""
                version = 3
                budget.smoke = eval: --ais-runs 4 ; valid-every: 2
                budget.default = check-frames: 10
                budget.paper =
                row.x = lstm | An LSTM | all: --skip ; smoke: --lr 0.1|0.2 --layers 4|8,8 --epochs 3 --use last
                dataset.d = D | abc, def
                paper.d.x = -1.5 -
                """);
        assertEquals(3, r.version());
        assertEquals(2, r.budgets().get("smoke").validEvery());
        assertEquals(10, r.budgets().get("default").checkFrames());
        List<Candidate> cs = Candidate.of(r.row("x"), "smoke");
        assertEquals(4, cs.size());
        assertEquals(List.of("--skip", "--lr", "0.1", "--layers", "4"), cs.get(0).options());
        assertEquals(List.of("--skip", "--lr", "0.1", "--layers", "8,8"), cs.get(1).options());
        assertEquals("--lr 0.2 --layers 4", cs.get(2).label());
        assertEquals("c4", cs.get(3).name());
        assertTrue(cs.stream().allMatch(c -> c.epochs() == 3 && c.last()));
        Candidate plain = Candidate.of(r.row("x"), "default").get(0);
        assertEquals(List.of("--skip"), plain.options());
        assertEquals(1, plain.epochs());
        assertEquals("", plain.label());
        assertEquals("D", r.recognise("def").name());
        assertEquals(Map.of("x", List.of(-1.5, Double.NaN)).keySet(), r.recognise("abc").figures().keySet());
    }

    @Test
    void aLineTheParserCannotReadIsNamed() {
        String head = "version = 1\nbudget.smoke =\nbudget.default =\nbudget.paper =\n";
        for (String[] bad : new String[][] {{"row.x = lstm", "line 5"}, {"row.x = lstm | L | often: --skip", "unknown budget 'often'"},
                {"budget.smoke = eval --x", "expected '<field>: <value>'"}, {"colour = red", "unknown key 'colour'"},
                {"paper.d.x = 1", "expected '<LL> <ACC %>'"}}) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Recipes.parse(head + bad[0]));
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
        assertThrows(IllegalStateException.class, () -> Recipes.parse("budget.smoke =\n"), "no version");
        assertThrows(IllegalArgumentException.class, () -> Recipes.load().row("gru"));
    }
}
