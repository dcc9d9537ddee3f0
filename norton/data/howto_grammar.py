"""The narrated how-to testbed's grammar: tasks in several domains, each a sequence of steps with spoken and visual
phrasings (our own text)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One step of a task: how a narrator says it and what the camera shows while it is done."""

    said: tuple[str, ...]   # spoken narration templates (first person, ASR style), {slot} placeholders allowed
    shown: tuple[str, ...]  # visual descriptions of the step (third person), other words than `said`
    # the narrator's comments during the step that name nothing shown (tips, opinions, reactions)
    remarks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Task:
    """A how-to task: its domain, the values of its {slot} placeholders, and its steps in order."""

    name: str
    domain: str
    slots: dict[str, tuple[str, ...]]
    steps: tuple[Step, ...]


# --------------------------------------------------------------------------------------------------------------------
# cooking
# --------------------------------------------------------------------------------------------------------------------

_COOKING: tuple[Task, ...] = (
    Task(
        name="stir fry vegetables with protein",
        domain="cooking",
        slots={
            "vegetable": ("carrot", "zucchini", "bell pepper", "broccoli"),
            "protein": ("chicken", "tofu", "shrimp"),
        },
        steps=(
            Step(
                said=(
                    "so first we're gonna slice up the {vegetable} into thin strips",
                    "okay grab your {vegetable} and just cut it into nice thin pieces",
                    "i like to cut the {vegetable} on a bit of an angle like this",
                    "you wanna get the {vegetable} sliced nice and thin so it cooks fast",
                ),
                shown=(
                    "a knife cuts a {vegetable} into thin strips on a wooden cutting board",
                    "close-up of two hands slicing {vegetable} on a chopping board",
                    "thin pieces of {vegetable} pile up next to a chef's knife",
                ),
                remarks=(
                    "this is honestly the part that makes or breaks the whole dish",
                    "my knife skills are not great so bear with me",
                ),
            ),
            Step(
                said=(
                    "now take the {protein} and cut it into bite sized pieces",
                    "next up the {protein} i'm just gonna dice it into little cubes",
                    "cut your {protein} into chunks about an inch across",
                    "alright so the {protein} goes into small pieces too",
                ),
                shown=(
                    "a knife divides raw {protein} into cubes on a white board",
                    "fingers hold {protein} steady while a blade cuts it into chunks",
                    "diced {protein} sits in a small heap beside the cutting board",
                ),
                remarks=(
                    "i learned this trick from a friend who cooks in a restaurant",
                    "don't stress if they're not all perfect",
                ),
            ),
            Step(
                said=(
                    "let's mix up the sauce soy sauce a little honey and some garlic",
                    "in a small bowl i'm whisking together soy sauce and a spoon of honey",
                    "this is my go to stir fry sauce super simple just stir it up",
                    "so for the sauce you want soy sauce garlic and a bit of cornstarch",
                ),
                shown=(
                    "a spoon stirs dark liquid with minced garlic in a small glass bowl",
                    "soy sauce is poured from a bottle into a little dish",
                    "a fork whisks a brown sauce in a ramekin on the counter",
                ),
                remarks=(
                    "you can tweak this to your own taste honestly",
                    "people always ask me for this recipe",
                ),
            ),
            Step(
                said=(
                    "get your wok really hot and add a splash of oil",
                    "okay i've got the pan on high heat now the oil goes in",
                    "you wanna wait until the oil is shimmering before you add anything",
                    "heat up some oil in the wok it needs to be smoking hot",
                ),
                shown=(
                    "oil swirls across the bottom of a black wok over a gas flame",
                    "a burner flame glows under an empty wok with a thin layer of oil",
                    "a hand tilts the wok so the oil coats its sides",
                ),
                remarks=(
                    "this is where most people go wrong",
                    "my smoke alarm absolutely hates this part",
                ),
            ),
            Step(
                said=(
                    "the {protein} goes in first let it get some color",
                    "so throw in the {protein} and don't move it around too much",
                    "cook the {protein} for a few minutes until it's golden",
                    "listen to that sizzle that's the {protein} searing",
                ),
                shown=(
                    "pieces of {protein} sizzle and brown in the hot wok",
                    "a spatula flips {protein} chunks in a smoking pan",
                    "close-up of {protein} turning golden in shimmering oil",
                ),
                remarks=(
                    "patience here really pays off",
                    "oh it smells amazing already",
                ),
            ),
            Step(
                said=(
                    "now add all the {vegetable} and keep it moving",
                    "in goes the {vegetable} toss it around with the {protein}",
                    "you only want the {vegetable} in there for a couple minutes so it stays crunchy",
                    "okay vegetables are in now stir stir stir",
                ),
                shown=(
                    "strips of {vegetable} are dropped into the wok with the {protein}",
                    "a spatula tosses {vegetable} and {protein} together over high heat",
                    "the wok is shaken as colorful {vegetable} pieces jump in the pan",
                ),
                remarks=(
                    "i always end up sneaking a few bites at this point",
                    "honestly use whatever you have lying around",
                ),
            ),
            Step(
                said=(
                    "pour the sauce over everything and let it thicken up",
                    "sauce goes in now and it gets all glossy look at that",
                    "give it one last toss and put it over some rice",
                    "and that's it plate it up over rice and you're done",
                ),
                shown=(
                    "brown sauce is poured over the vegetables and coats them in the wok",
                    "the finished stir fry is spooned onto a bed of white rice",
                    "a plate of glossy {vegetable} and {protein} sits next to chopsticks",
                ),
                remarks=(
                    "my kids actually ask for this one every week",
                    "this whole thing takes less than twenty minutes",
                ),
            ),
        ),
    ),
    Task(
        name="tomato sauce pasta",
        domain="cooking",
        slots={
            "pasta": ("spaghetti", "penne", "rigatoni"),
            "herb": ("basil", "oregano", "parsley"),
        },
        steps=(
            Step(
                said=(
                    "start by dicing an onion nice and small",
                    "so i'm chopping up one onion and a couple cloves of garlic",
                    "mince the garlic really fine you don't want big chunks",
                    "okay onion and garlic first that's the base of the whole sauce",
                ),
                shown=(
                    "a knife dices a peeled onion into small cubes on a cutting board",
                    "garlic cloves are crushed and minced with the flat of a blade",
                    "a small pile of chopped onion and minced garlic lies beside a knife",
                ),
                remarks=(
                    "this always makes me cry every single time",
                    "don't rush this part it really matters",
                ),
            ),
            Step(
                said=(
                    "get some olive oil in a pot and add the onions",
                    "cook the onion low and slow until it goes soft and sweet",
                    "garlic goes in now just for a minute so it doesn't burn",
                    "you wanna stir this every now and then until it's translucent",
                ),
                shown=(
                    "chopped onion softens in olive oil in a deep saucepan",
                    "a wooden spoon pushes onion and garlic around a pot on the stove",
                    "close-up of translucent onion pieces glistening in oil",
                ),
                remarks=(
                    "the smell at this point is honestly the best",
                    "my nonna would never let me skip this",
                ),
            ),
            Step(
                said=(
                    "now in go the canned tomatoes i just crush them with my hands",
                    "pour in your tomatoes and give it all a good stir",
                    "i'm using a can of whole tomatoes they're honestly the best for this",
                    "add the tomatoes and a pinch of salt and let it come to a bubble",
                ),
                shown=(
                    "crushed red tomatoes are poured from a can into the saucepan",
                    "hands squeeze whole peeled tomatoes over the pot",
                    "a thick red sauce begins to bubble around a wooden spoon",
                ),
                remarks=(
                    "some people are really picky about brands but don't worry about it",
                    "this is already starting to smell like a restaurant",
                ),
            ),
            Step(
                said=(
                    "throw in some {herb} and turn the heat down low",
                    "let this simmer for about twenty minutes with the lid cracked",
                    "i'm tearing up a little {herb} and dropping it right in",
                    "a few {herb} leaves go straight into the bubbling sauce",
                ),
                shown=(
                    "fresh {herb} leaves are scattered over simmering red sauce",
                    "a lid rests half open on a pot of bubbling tomato sauce",
                    "steam rises from a gently simmering pot over a small flame",
                ),
                remarks=(
                    "the longer it simmers the better it tastes trust me",
                    "this is when i usually go fold some laundry",
                ),
            ),
            Step(
                said=(
                    "meanwhile get a big pot of salted water boiling for the {pasta}",
                    "salt your water like the sea that's the rule in my house",
                    "drop the {pasta} in and give it a stir so it doesn't stick",
                    "cook the {pasta} a minute less than the box says",
                ),
                shown=(
                    "dry {pasta} is dropped into a large pot of rolling boiling water",
                    "a hand sprinkles coarse salt into bubbling water",
                    "tongs stir {pasta} in a steaming stainless steel pot",
                ),
                remarks=(
                    "i've been making it this way since college",
                    "people argue about this online all the time",
                ),
            ),
            Step(
                said=(
                    "save a cup of the pasta water before you drain it",
                    "drain the {pasta} and toss it straight into the sauce",
                    "add a splash of that starchy water it makes the sauce silky",
                    "okay mix it all together right there in the pan",
                ),
                shown=(
                    "{pasta} is poured into a colander in the sink in a cloud of steam",
                    "a ladle of cloudy cooking water is added to the red sauce",
                    "tongs fold drained {pasta} through the tomato sauce",
                ),
                remarks=(
                    "this is the secret restaurants don't tell you",
                    "seriously don't skip this bit",
                ),
            ),
            Step(
                said=(
                    "plate it up and grate a ton of parmesan on top",
                    "finish with a little more {herb} and some good olive oil",
                    "and there you go simple tomato {pasta} nothing fancy",
                    "serve it hot and grab some bread for the leftover sauce",
                ),
                shown=(
                    "a bowl of {pasta} in red sauce is topped with grated parmesan",
                    "a microplane showers cheese over a plated serving of pasta",
                    "a fork twirls sauced {pasta} in a shallow white bowl",
                ),
                remarks=(
                    "this is comfort food at its very best",
                    "my family eats this at least once a week",
                ),
            ),
        ),
    ),
    Task(
        name="filled omelette",
        domain="cooking",
        slots={
            "filling": ("mushroom", "spinach", "ham"),
        },
        steps=(
            Step(
                said=(
                    "crack three eggs into a bowl to start",
                    "so first thing get your eggs cracked i use three for one omelette",
                    "try not to get any shell in there if you do just fish it out",
                    "okay eggs going in the bowl one two three",
                ),
                shown=(
                    "a hand cracks an egg on the rim of a glass bowl",
                    "three raw yolks sit in a bowl on the kitchen counter",
                    "a fingertip removes a small piece of shell from raw egg",
                ),
                remarks=(
                    "this happens to me all the time honestly",
                    "i used to be so bad at this",
                ),
            ),
            Step(
                said=(
                    "add a pinch of salt and beat them really well",
                    "whisk it until you don't see any streaks of white",
                    "i'm adding a little splash of milk some people don't but i do",
                    "beat the eggs hard for like thirty seconds",
                ),
                shown=(
                    "a fork beats yellow egg mixture rapidly in a bowl",
                    "a pinch of salt falls onto the beaten eggs",
                    "a small whisk froths eggs until they turn pale and even",
                ),
                remarks=(
                    "this is the step that makes it fluffy",
                    "my arm gets tired just thinking about it",
                ),
            ),
            Step(
                said=(
                    "while that rests let's get the {filling} ready",
                    "chop up your {filling} nice and small",
                    "i cook the {filling} a little bit first so it's not watery",
                    "you don't need much {filling} maybe a small handful",
                ),
                shown=(
                    "a small handful of {filling} is chopped on a cutting board",
                    "{filling} is warmed briefly in a small pan",
                    "a little bowl of prepared {filling} waits next to the stove",
                ),
                remarks=(
                    "you can really use any leftovers you have",
                    "this is where you get to be creative",
                ),
            ),
            Step(
                said=(
                    "put a nonstick pan on medium low and add a knob of butter",
                    "wait for the butter to foam but don't let it brown",
                    "swirl the butter around so the whole pan is coated",
                    "a little butter goes into the warm pan and starts to melt",
                ),
                shown=(
                    "a pat of butter melts and foams in a small nonstick skillet",
                    "a hand tilts the skillet to spread the melted butter",
                    "bubbling butter coats the surface of a pan over a low flame",
                ),
                remarks=(
                    "the heat is the key here you want it pretty low",
                    "patience is everything with this one",
                ),
            ),
            Step(
                said=(
                    "pour the eggs in and stir them gently with a spatula",
                    "keep pulling the edges into the middle like this",
                    "you wanna keep it moving so you get small soft curds",
                    "okay eggs are in and now we have to work fast",
                ),
                shown=(
                    "beaten egg spreads across the buttered skillet",
                    "a silicone spatula drags setting egg from the edge to the center",
                    "soft curds form as the pan is gently shaken",
                ),
                remarks=(
                    "my heart rate always goes up right about now",
                    "honestly it's all about timing here",
                ),
            ),
            Step(
                said=(
                    "scatter the {filling} over one half of the eggs",
                    "now a little grated cheese on top of the {filling}",
                    "while the top is still a bit runny add your filling",
                    "sprinkle the {filling} over just one side of the pan",
                ),
                shown=(
                    "{filling} is sprinkled over one side of the setting omelette",
                    "grated cheese falls onto the half-cooked egg",
                    "close-up of filling resting on a glossy yellow omelette",
                ),
                remarks=(
                    "don't overload it or it won't fold properly",
                    "less is definitely more with this",
                ),
            ),
            Step(
                said=(
                    "fold it over and slide it onto a plate",
                    "tilt the pan and roll it out onto the plate",
                    "a few chives on top and it's ready to eat",
                    "slide the folded omelette out of the pan and onto the plate",
                ),
                shown=(
                    "the spatula folds the omelette in half in the pan",
                    "a golden folded omelette slides from the skillet onto a plate",
                    "chopped chives are sprinkled over a folded omelette on a white plate",
                ),
                remarks=(
                    "look at that nice and soft inside not brown at all",
                    "this is the kind of breakfast i could eat every day",
                ),
            ),
        ),
    ),
    Task(
        name="spiced lentil soup",
        domain="cooking",
        slots={
            "lentils": ("red lentils", "green lentils", "brown lentils"),
            "spice": ("cumin", "smoked paprika", "curry powder"),
        },
        steps=(
            Step(
                said=(
                    "chop up one onion two carrots and a couple stalks of celery",
                    "so this is the classic soup base onion carrot and celery",
                    "try to cut everything about the same size so it cooks evenly",
                    "okay let's get all the veggies chopped first",
                ),
                shown=(
                    "carrots and celery are diced on a large wooden board",
                    "a knife rocks through chopped onion, carrot and celery",
                    "small cubes of orange carrot and green celery gather in a bowl",
                ),
                remarks=(
                    "this is the base for pretty much every soup i make",
                    "it's a bit of prep but it's so worth it",
                ),
            ),
            Step(
                said=(
                    "rinse the {lentils} in a sieve until the water runs clear",
                    "give the lentils a quick look for any little stones",
                    "i always wash my {lentils} it gets rid of the dusty stuff",
                    "just run them under cold water for a minute or so",
                ),
                shown=(
                    "{lentils} are rinsed under a running tap in a fine mesh strainer",
                    "fingers spread lentils across a plate searching for grit",
                    "cloudy water drains from a sieve full of lentils",
                ),
                remarks=(
                    "i bit into a tiny pebble once and never skipped this again",
                    "it only takes a second",
                ),
            ),
            Step(
                said=(
                    "cook the vegetables in some oil until they start to soften",
                    "add a teaspoon of {spice} and toast it for a bit",
                    "smell that the {spice} really wakes up in the hot oil",
                    "stir it around for about five minutes on medium",
                ),
                shown=(
                    "diced vegetables soften in oil in a heavy dutch oven",
                    "a spoonful of {spice} is sprinkled over the cooking vegetables",
                    "a wooden spoon stirs spiced vegetables in a large pot",
                ),
                remarks=(
                    "the whole house smells amazing right now",
                    "this is my favorite part of making soup",
                ),
            ),
            Step(
                said=(
                    "now add the {lentils} and about six cups of stock",
                    "pour in your broth and a can of tomatoes too",
                    "bring the whole thing up to a boil",
                    "lentils in stock in and give it a stir",
                ),
                shown=(
                    "rinsed {lentils} are tipped into the pot of vegetables",
                    "broth pours from a carton into the dutch oven",
                    "the pot comes to a rolling boil with lentils swirling",
                ),
                remarks=(
                    "this makes a huge batch so it freezes really well",
                    "you honestly can't mess this part up",
                ),
            ),
            Step(
                said=(
                    "turn it down and let it bubble gently for half an hour",
                    "give it a stir every so often so nothing sticks",
                    "if it gets too thick just add a bit more water",
                    "the soup just bubbles away gently in the pot now",
                ),
                shown=(
                    "a soup gently bubbles in a partly covered pot",
                    "a spoon scrapes the bottom of a pot of thick lentil soup",
                    "a kitchen timer counts down next to the simmering pot",
                ),
                remarks=(
                    "go do something else for thirty minutes seriously",
                    "the longer it goes the better it gets honestly",
                ),
            ),
            Step(
                said=(
                    "i like to blend about half of it so it's creamy but still chunky",
                    "take your stick blender and just give it a few pulses",
                    "pulse the blender a few times right in the pot",
                    "blend part of the soup so it turns thick and creamy",
                ),
                shown=(
                    "an immersion blender is lowered into the pot of soup",
                    "the soup turns thick and smooth around a whirring blender",
                    "a hand pulses a stick blender while steam rises",
                ),
                remarks=(
                    "careful it's hot you don't wanna splash yourself",
                    "you could leave it chunky too it's up to you",
                ),
            ),
            Step(
                said=(
                    "taste it then add salt and a squeeze of lemon",
                    "the lemon at the end is the secret honestly",
                    "ladle it into bowls and add a drizzle of olive oil",
                    "that's it a big pot of soup for the whole week",
                ),
                shown=(
                    "half a lemon is squeezed over the pot of soup",
                    "a ladle fills a ceramic bowl with thick orange soup",
                    "a bowl of lentil soup drizzled with oil sits beside crusty bread",
                ),
                remarks=(
                    "this is my go to when i'm feeling under the weather",
                    "it tastes even better the next day",
                ),
            ),
        ),
    ),
)

# --------------------------------------------------------------------------------------------------------------------
# baking
# --------------------------------------------------------------------------------------------------------------------

_BAKING: tuple[Task, ...] = (
    Task(
        name="banana bread",
        domain="baking",
        slots={
            "mixin": ("walnuts", "pecans", "chocolate chips"),
        },
        steps=(
            Step(
                said=(
                    "preheat your oven to three fifty and grease a loaf pan",
                    "so first things first get that oven heating up",
                    "i'm rubbing some butter all over the pan so nothing sticks",
                    "line it with a strip of parchment it makes it way easier to get out",
                ),
                shown=(
                    "a hand turns the dial on an oven control panel",
                    "butter is smeared around the inside of a metal loaf tin",
                    "a sheet of parchment paper is pressed into a loaf pan",
                ),
                remarks=(
                    "every oven runs a little different so get to know yours",
                    "i always forget this and then regret it",
                ),
            ),
            Step(
                said=(
                    "mash up three really ripe bananas the browner the better",
                    "just use a fork and squish them up in the bowl",
                    "see how spotty these bananas are that's what you want",
                    "squash the bananas against the side of the bowl with your fork",
                ),
                shown=(
                    "a fork crushes peeled bananas in a mixing bowl",
                    "brown speckled bananas are peeled over a bowl",
                    "a lumpy yellow banana mash fills the bottom of a bowl",
                ),
                remarks=(
                    "don't worry about a few lumps that's totally fine",
                    "this is the best way to use up stuff that's gone too far",
                ),
            ),
            Step(
                said=(
                    "add melted butter an egg and some sugar to the bananas",
                    "stir in a splash of vanilla too",
                    "mix the wet stuff together until it's all combined",
                    "i use brown sugar it gives it that caramel flavor",
                ),
                shown=(
                    "melted butter is poured over mashed banana in a bowl",
                    "an egg is cracked into the banana mixture",
                    "a whisk blends brown sugar into a wet batter",
                ),
                remarks=(
                    "you can cut back on the sweetness if you want",
                    "this already reminds me of my mom's kitchen",
                ),
            ),
            Step(
                said=(
                    "now the flour baking soda and a pinch of salt",
                    "fold it in gently don't overmix or it gets tough",
                    "just stir until you can't see any dry flour",
                    "sift the dry ingredients in if you want but i never do",
                ),
                shown=(
                    "white flour is spooned on top of the wet banana batter",
                    "a spatula folds flour into a thick batter",
                    "a measuring spoon of baking soda is leveled and added to the bowl",
                ),
                remarks=(
                    "this is the mistake i made for years",
                    "just trust the process here",
                ),
            ),
            Step(
                said=(
                    "this is where the {mixin} go in",
                    "i'm adding a big handful of {mixin} because why not",
                    "fold the {mixin} through the batter nice and evenly",
                    "save a few {mixin} to put on top",
                ),
                shown=(
                    "a handful of {mixin} is tipped into the batter",
                    "a spatula stirs {mixin} evenly through the mixture",
                    "{mixin} are scattered over the top of the batter",
                ),
                remarks=(
                    "honestly more is always better here",
                    "my kids fight over who gets the end piece",
                ),
            ),
            Step(
                said=(
                    "scrape the batter into your pan and smooth it out",
                    "level it off nicely with the spatula",
                    "give the pan a little tap on the counter to get the air bubbles out",
                    "okay that goes into the oven now",
                ),
                shown=(
                    "thick batter is scraped from a bowl into the lined loaf pan",
                    "a spatula smooths the surface of the batter in the tin",
                    "the filled loaf pan is slid onto the middle oven rack",
                ),
                remarks=(
                    "it's looking so good already",
                    "i always sneak a little taste at this point don't judge me",
                ),
            ),
            Step(
                said=(
                    "bake it for about an hour until a toothpick comes out clean",
                    "if the top gets too dark just cover it with some foil",
                    "stick a skewer in the middle if it's gooey it needs more time",
                    "poke a wooden skewer right into the center of the loaf",
                ),
                shown=(
                    "a wooden skewer is pushed into the center of a browned loaf",
                    "through the oven window a loaf rises and darkens",
                    "a sheet of foil is laid loosely over the loaf in the oven",
                ),
                remarks=(
                    "check it at fifty minutes every oven is different",
                    "the waiting is honestly the hardest part",
                ),
            ),
            Step(
                said=(
                    "let it cool in the pan for ten minutes then turn it out",
                    "i know it's hard but wait until it cools before you slice it",
                    "now cut yourself a nice thick slice",
                    "set the loaf on the wire rack so it can cool",
                ),
                shown=(
                    "the banana loaf cools on a wire rack",
                    "a serrated knife cuts a thick slice from the loaf",
                    "a slice of banana bread studded with {mixin} rests on a plate",
                ),
                remarks=(
                    "look at that inside it's so moist",
                    "this never lasts more than a day in my house",
                ),
            ),
        ),
    ),
    Task(
        name="chewy cookies",
        domain="baking",
        slots={
            "chips": ("chocolate chips", "white chocolate chips", "butterscotch chips"),
        },
        steps=(
            Step(
                said=(
                    "cream together soft butter white sugar and brown sugar",
                    "beat it until it goes pale and fluffy like two or three minutes",
                    "make sure your butter is at room temperature or this won't work",
                    "okay mixer on medium let's go",
                ),
                shown=(
                    "a stand mixer paddle beats butter and sugar in a metal bowl",
                    "soft butter and brown sugar turn pale and fluffy",
                    "a spatula scrapes creamed butter from the sides of the bowl",
                ),
                remarks=(
                    "this is the step that makes them chewy",
                    "i've tried every shortcut and none of them work",
                ),
            ),
            Step(
                said=(
                    "add the eggs one at a time and a spoon of vanilla",
                    "mix after each egg so it doesn't split",
                    "scrape down the bowl it always sticks to the sides",
                    "here's the vanilla i'm not measuring this i just pour",
                ),
                shown=(
                    "an egg drops into the creamed mixture in a mixer bowl",
                    "vanilla extract is poured from a small brown bottle",
                    "a glossy batter clings to the mixer paddle",
                ),
                remarks=(
                    "baking is supposed to be exact but i'm a rebel",
                    "it already smells incredible in here",
                ),
            ),
            Step(
                said=(
                    "now the flour baking soda and salt on low speed",
                    "go slow with the flour unless you want it all over your kitchen",
                    "mix just until it comes together into a dough",
                    "you can whisk the dry stuff in a separate bowl first",
                ),
                shown=(
                    "flour is tipped into the mixer bowl from a measuring cup",
                    "a soft cookie dough forms around the turning paddle",
                    "a small bowl of whisked flour, salt and baking soda sits by the mixer",
                ),
                remarks=(
                    "ask me how i know",
                    "i've made that mistake way too many times",
                ),
            ),
            Step(
                said=(
                    "fold in the {chips} by hand with a spoon",
                    "don't be shy with the {chips} i use like a whole bag",
                    "i like to chop half of them so you get little bits everywhere",
                    "okay stir those {chips} through the dough",
                ),
                shown=(
                    "{chips} are poured from a bag into the dough",
                    "a wooden spoon folds {chips} through thick cookie dough",
                    "close-up of pale dough studded with {chips}",
                ),
                remarks=(
                    "this is my favorite part obviously",
                    "honestly you can never have too many",
                ),
            ),
            Step(
                said=(
                    "cover the bowl and chill the dough for at least an hour",
                    "pop it in the fridge and go have a coffee",
                    "wrap the bowl of dough tightly in plastic film",
                    "stretch the plastic wrap over the top of the bowl",
                ),
                shown=(
                    "a bowl of dough is wrapped in plastic film",
                    "the covered bowl is placed on a fridge shelf",
                    "firm cold cookie dough is taken out of the refrigerator",
                ),
                remarks=(
                    "chilling it means they won't spread too much",
                    "i know waiting is the worst but it's worth it",
                ),
            ),
            Step(
                said=(
                    "scoop balls of dough onto a lined baking tray",
                    "i use an ice cream scoop so they're all the same size",
                    "roll them a bit in your hands to make them round",
                    "drop each ball of dough onto the parchment lined sheet",
                ),
                shown=(
                    "an ice cream scoop drops dough balls onto a parchment-lined sheet",
                    "rows of evenly spaced dough mounds cover a baking tray",
                    "hands roll a dough ball between the palms",
                ),
                remarks=(
                    "leave plenty of space between them they spread",
                    "this is the part my kids love helping with",
                ),
            ),
            Step(
                said=(
                    "bake them for ten to twelve minutes until the edges are golden",
                    "take them out when the middle still looks a bit underdone",
                    "watch the cookies through the oven door as they turn golden",
                    "the cookies puff up in the oven and the edges start browning",
                ),
                shown=(
                    "cookies puff and turn golden behind the oven door",
                    "an oven mitt pulls a tray of baked cookies from the oven",
                    "golden cookies with soft centers rest on the hot tray",
                ),
                remarks=(
                    "they keep cooking on the tray so don't overdo it",
                    "oh my gosh the smell in here right now",
                ),
            ),
            Step(
                said=(
                    "let them sit for five minutes then move them to a rack",
                    "sprinkle a little flaky salt on top while they're warm",
                    "this is the best part break one open",
                    "and there we go perfect chewy cookies",
                ),
                shown=(
                    "a spatula lifts cookies onto a wire cooling rack",
                    "flaky salt is pinched over the warm cookies",
                    "a cookie is broken in half revealing melted {chips}",
                ),
                remarks=(
                    "i dare you to eat just one",
                    "these never last long around here",
                ),
            ),
        ),
    ),
    Task(
        name="sandwich bread loaf",
        domain="baking",
        slots={
            "flour": ("bread flour", "whole wheat flour"),
        },
        steps=(
            Step(
                said=(
                    "start by waking up the yeast in some warm water with a pinch of sugar",
                    "the water should be warm like a bath not hot",
                    "give it ten minutes you want it foamy on top",
                    "if it doesn't foam your yeast is probably dead",
                ),
                shown=(
                    "dry yeast is sprinkled over warm water in a glass jug",
                    "a thermometer probe reads the temperature of water in a jug",
                    "a creamy foam forms on top of the yeast mixture",
                ),
                remarks=(
                    "this part used to scare me when i started baking",
                    "it's kind of amazing that it's alive",
                ),
            ),
            Step(
                said=(
                    "add the {flour} and salt and mix it into a shaggy dough",
                    "dump the yeast in with the flour and stir with a wooden spoon",
                    "add a little oil too it keeps the bread soft",
                    "pour the {flour} into the bowl on top of the yeast",
                ),
                shown=(
                    "{flour} is poured into a large bowl with the frothy yeast",
                    "a wooden spoon stirs a rough shaggy dough",
                    "a drizzle of oil falls over a sticky dough in a bowl",
                ),
                remarks=(
                    "it's gonna look really messy at this point that's normal",
                    "don't panic it all comes together later",
                ),
            ),
            Step(
                said=(
                    "turn it out onto the counter and knead it for ten minutes",
                    "push it away with the heel of your hand then fold it back",
                    "kneading is a pretty good workout honestly",
                    "keep going until it's smooth and springs back when you poke it",
                ),
                shown=(
                    "hands knead a ball of dough on a floured countertop",
                    "the heel of a palm stretches dough across a wooden board",
                    "a finger pokes smooth dough and the dent slowly fills",
                ),
                remarks=(
                    "put on some music this takes a while",
                    "you'll feel it change as you go",
                ),
            ),
            Step(
                said=(
                    "put it in an oiled bowl cover it and let it rise",
                    "you want it to double in size that takes about an hour",
                    "okay so now we just wait for the dough",
                    "set the round dough in the greased bowl and cover it up",
                ),
                shown=(
                    "a smooth round dough sits in an oiled glass bowl",
                    "a damp tea towel is draped over the bowl",
                    "time-lapse of dough swelling to twice its size under a towel",
                ),
                remarks=(
                    "find a warm spot i put mine next to the radiator",
                    "this is the most boring part of bread making",
                ),
            ),
            Step(
                said=(
                    "punch it down and shape it into a log",
                    "press it out into a rectangle then roll it up tight",
                    "pinch the seam closed so it doesn't open in the oven",
                    "drop it seam side down into the tin",
                ),
                shown=(
                    "a fist presses the air out of the risen dough",
                    "hands roll flattened dough into a tight cylinder",
                    "a shaped log of dough is placed into a greased loaf tin",
                ),
                remarks=(
                    "this is weirdly satisfying to do",
                    "don't worry if it's not perfectly even",
                ),
            ),
            Step(
                said=(
                    "let it rise again until it's just above the rim of the pan",
                    "brush the top with a little milk for a nice color",
                    "make one slash down the middle with a sharp knife",
                    "this second rise is shorter maybe forty minutes",
                ),
                shown=(
                    "dough domes above the edge of the loaf tin",
                    "a pastry brush coats the dough surface with milk",
                    "a razor blade slices a shallow line along the top of the dough",
                ),
                remarks=(
                    "i get so impatient at this point",
                    "you're so close now hang in there",
                ),
            ),
            Step(
                said=(
                    "bake it at four hundred for about thirty minutes",
                    "knock on the bottom if it sounds hollow it's done",
                    "let it cool completely before you cut it i mean it",
                    "look at that crumb it's so soft",
                ),
                shown=(
                    "a deep golden loaf is tipped out of its tin",
                    "knuckles tap the underside of a baked loaf",
                    "a bread knife cuts slices revealing a soft fluffy interior",
                ),
                remarks=(
                    "there's nothing better than homemade",
                    "store bought just isn't the same after this",
                ),
            ),
        ),
    ),
    Task(
        name="double crust fruit pie",
        domain="baking",
        slots={
            "fruit": ("apple", "peach", "cherry"),
        },
        steps=(
            Step(
                said=(
                    "for the crust cut cold butter into the flour",
                    "rub the butter in with your fingers until it's like breadcrumbs",
                    "you want little pea sized bits of butter left that's what makes it flaky",
                    "keep everything cold seriously cold butter cold water",
                ),
                shown=(
                    "cubes of cold butter are tossed in a bowl of flour",
                    "fingertips rub butter into flour to make coarse crumbs",
                    "a pastry cutter presses down through butter and flour",
                ),
                remarks=(
                    "it can be fussy but you'll get the hang of it",
                    "this is what makes or breaks the whole thing",
                ),
            ),
            Step(
                said=(
                    "add ice water a tablespoon at a time until it holds together",
                    "squeeze a bit in your hand if it clumps you're good",
                    "wrap it up and stick it in the fridge for an hour",
                    "split it into two discs one for the bottom one for the top",
                ),
                shown=(
                    "ice water is drizzled from a spoon over crumbly dough",
                    "hands press the dough into two flat discs",
                    "discs of pastry are wrapped in plastic film",
                ),
                remarks=(
                    "don't overthink this part it's really forgiving",
                    "it took me years to get a feel for this",
                ),
            ),
            Step(
                said=(
                    "while that chills let's do the {fruit} filling",
                    "slice up your {fruit} and toss it with sugar and a little cornstarch",
                    "i add some lemon juice and cinnamon too",
                    "let the {fruit} sit for a bit so the juices come out",
                ),
                shown=(
                    "a paring knife cuts {fruit} into slices over a bowl",
                    "sugar and cornstarch are sprinkled over sliced {fruit}",
                    "a spoon tosses glossy {fruit} filling in a large bowl",
                ),
                remarks=(
                    "this smells like the holidays to me",
                    "my grandma swore by doing it this way",
                ),
            ),
            Step(
                said=(
                    "roll out the first disc on a floured counter",
                    "roll from the middle out and turn it a quarter each time",
                    "lay it over your rolling pin and drape it into the dish",
                    "let it hang over the edge we'll trim it later",
                ),
                shown=(
                    "a rolling pin flattens a disc of pastry on a floured surface",
                    "a thin circle of dough is draped into a glass pie dish",
                    "fingers press pastry into the edges of the dish",
                ),
                remarks=(
                    "if it tears just patch it nobody will know",
                    "this takes a little practice",
                ),
            ),
            Step(
                said=(
                    "pour in the {fruit} filling and spread it out",
                    "roll out the second disc and lay it over the top",
                    "crimp the edges together with your fingers",
                    "spoon the {fruit} filling into the pastry lined dish",
                ),
                shown=(
                    "{fruit} filling is spooned into the pastry-lined dish",
                    "a top crust is laid over the mounded filling",
                    "fingers pinch and crimp the rim of the pie",
                ),
                remarks=(
                    "you can do a lattice if you're feeling fancy i'm not today",
                    "don't worry if it looks rustic that's the charm",
                ),
            ),
            Step(
                said=(
                    "brush the top with beaten egg and sprinkle some sugar",
                    "cut a few slits so the steam can get out",
                    "the egg wash is what gives it that shiny golden top",
                    "okay the pie is ready for the oven",
                ),
                shown=(
                    "a pastry brush spreads egg wash over the top crust",
                    "a knife cuts small vents in the pastry lid",
                    "coarse sugar is scattered over the glossy pie",
                ),
                remarks=(
                    "this little step makes it look so professional",
                    "it's the finishing touch that really matters",
                ),
            ),
            Step(
                said=(
                    "bake it until it's golden and the filling is bubbling",
                    "put a tray underneath it will drip trust me",
                    "let it cool for a few hours so the filling sets",
                    "and here's the first slice look at that",
                ),
                shown=(
                    "a golden pie bubbles at the vents inside the oven",
                    "the baked pie cools on a rack by the window",
                    "a pie server lifts a slice of {fruit} pie from the dish",
                ),
                remarks=(
                    "honestly the hardest part is waiting",
                    "this is why i love baking in the fall",
                ),
            ),
        ),
    ),
)

# --------------------------------------------------------------------------------------------------------------------
# home repair
# --------------------------------------------------------------------------------------------------------------------

_HOME_REPAIR: tuple[Task, ...] = (
    Task(
        name="patch a hole in drywall",
        domain="home repair",
        slots={},
        steps=(
            Step(
                said=(
                    "first clean up the edges of the hole with a utility knife",
                    "cut away any loose paper and crumbly bits",
                    "so here's the damage a nice hole from a door handle",
                    "you want clean edges or the patch won't sit flat",
                ),
                shown=(
                    "a utility knife trims torn paper around a hole in a white wall",
                    "close-up of a ragged hole punched through drywall",
                    "crumbs of gypsum fall as the blade neatens the opening",
                ),
                remarks=(
                    "it looks worse than it is honestly",
                    "anyone can do this you don't need to be a pro",
                ),
            ),
            Step(
                said=(
                    "stick a self adhesive mesh patch right over the hole",
                    "press it down firmly around all the edges",
                    "make sure the patch is bigger than the hole by an inch or so",
                    "these patches are cheap you can get them at any hardware store",
                ),
                shown=(
                    "a square of fiberglass mesh is pressed over the hole",
                    "fingers smooth the edges of a sticky mesh patch on the wall",
                    "the backing paper is peeled from a metal-reinforced patch",
                ),
                remarks=(
                    "this saves you from having to call someone out",
                    "it's so easy it almost feels like cheating",
                ),
            ),
            Step(
                said=(
                    "now spread a thin coat of joint compound over the patch",
                    "load up your putty knife and pull it across in one pass",
                    "keep it thin you can always add more later",
                    "feather the edges out so there's no ridge",
                ),
                shown=(
                    "a putty knife spreads white compound across the mesh",
                    "a wide taping knife scrapes excess mud from the wall",
                    "a thin white layer of compound covers the patch",
                ),
                remarks=(
                    "less is more with this stuff",
                    "this takes a little practice to get right",
                ),
            ),
            Step(
                said=(
                    "let it dry overnight then do a second wider coat",
                    "the second coat goes out further past the first one",
                    "if it shrinks or cracks that's normal just fill it again",
                    "mud is cheap so don't stress about it",
                ),
                shown=(
                    "the dried patch looks chalky and slightly uneven",
                    "a broader knife applies a second layer past the first",
                    "compound is scooped from a bucket onto a mud pan",
                ),
                remarks=(
                    "patience is key with this one",
                    "i know it's tempting to rush it",
                ),
            ),
            Step(
                said=(
                    "once it's dry sand it smooth with a sanding sponge",
                    "run your hand over it you shouldn't feel any bumps",
                    "light pressure just knock the high spots down",
                    "sand the patch with light circles until it feels smooth",
                ),
                shown=(
                    "a sanding sponge moves in circles over the patched area",
                    "fine white dust drifts down from the wall",
                    "a palm glides over the smoothed patch feeling for bumps",
                ),
                remarks=(
                    "wear a mask because this dust gets everywhere",
                    "this is the messiest part of the whole job",
                ),
            ),
            Step(
                said=(
                    "prime the patch first or the paint will look dull there",
                    "then two coats of paint to match the wall",
                    "use a small roller so the texture blends in",
                    "dab some primer over the sanded patch with a brush",
                ),
                shown=(
                    "a brush dabs primer over the sanded patch",
                    "a small foam roller rolls paint across the repaired section",
                    "the wall looks uniform with no sign of the old hole",
                ),
                remarks=(
                    "and there you go you can't even tell it was there",
                    "honestly this is the most satisfying fix",
                ),
            ),
        ),
    ),
    Task(
        name="fix a dripping faucet cartridge",
        domain="home repair",
        slots={
            "fixture": ("kitchen faucet", "bathroom faucet"),
        },
        steps=(
            Step(
                said=(
                    "first turn off the water under the sink",
                    "turn both valves clockwise until they stop",
                    "open the {fixture} to let out the pressure",
                    "reach under the sink and twist the shutoff valve closed",
                ),
                shown=(
                    "a hand turns a chrome shutoff valve under a sink",
                    "the view inside a cabinet shows two supply lines and valves",
                    "the {fixture} handle is lifted and only a few drops come out",
                ),
                remarks=(
                    "trust me don't skip this step i learned the hard way",
                    "it's so easy to forget when you're in a hurry",
                ),
            ),
            Step(
                said=(
                    "pop off the little cap on the handle with a flat screwdriver",
                    "there's a screw hidden under there so unscrew it",
                    "pull the handle straight up and off",
                    "put a towel in the sink so you don't lose any small parts",
                ),
                shown=(
                    "a flathead screwdriver pries a decorative cap off a faucet handle",
                    "an allen key loosens a set screw on the handle",
                    "the handle is lifted away exposing the valve body",
                ),
                remarks=(
                    "this is the kind of thing nobody tells you",
                    "i wish i'd known this years ago",
                ),
            ),
            Step(
                said=(
                    "now unscrew the retaining nut with a wrench",
                    "grab the cartridge with pliers and pull it straight out",
                    "it might be stuck so just wiggle it back and forth",
                    "take a picture of how it sits so the new one goes in the same way",
                ),
                shown=(
                    "an adjustable wrench loosens a brass nut on the faucet",
                    "pliers grip the plastic cartridge and draw it upward",
                    "the old cartridge crusted with mineral deposits is held up to the camera",
                ),
                remarks=(
                    "don't force it you'll regret it",
                    "this is usually where it gets frustrating",
                ),
            ),
            Step(
                said=(
                    "clean out the inside with a rag there's always some gunk",
                    "a little vinegar helps with the calcium buildup",
                    "look at all that scale no wonder it was dripping",
                    "wipe it down so the new one seals properly",
                ),
                shown=(
                    "a rag wipes inside the empty faucet housing",
                    "white limescale is scrubbed off with an old toothbrush",
                    "close-up of a clean brass valve seat",
                ),
                remarks=(
                    "hard water is the worst around here",
                    "this is a step people usually skip",
                ),
            ),
            Step(
                said=(
                    "match the new cartridge to the old one and push it in",
                    "line up the tab so it's facing the right way",
                    "put a little plumber's grease on the o rings first",
                    "screw the nut back on snug but don't crank it",
                ),
                shown=(
                    "two cartridges are compared side by side in a palm",
                    "a finger smears silicone grease on rubber o-rings",
                    "the new cartridge is pressed down into the housing",
                ),
                remarks=(
                    "take your time with this part",
                    "it's honestly not as tricky as it looks",
                ),
            ),
            Step(
                said=(
                    "put the handle back on and tighten the screw",
                    "turn the water back on nice and slowly",
                    "run it hot and cold and check for drips",
                    "slide the handle back on and snap the cap in place",
                ),
                shown=(
                    "the handle is slid back onto the stem and its cap snapped on",
                    "the shutoff valves are turned counterclockwise under the sink",
                    "water flows from the {fixture} and the spout stays dry once closed",
                ),
                remarks=(
                    "no more drip so that's a win",
                    "that's money saved right there",
                ),
            ),
        ),
    ),
    Task(
        name="replace a wall light switch",
        domain="home repair",
        slots={
            "switch": ("dimmer switch", "single pole switch", "smart switch"),
        },
        steps=(
            Step(
                said=(
                    "go to your breaker panel and switch off the circuit",
                    "always double check with a voltage tester never trust the label",
                    "i'm flipping the breaker for the hallway right now",
                    "flip the breaker in the panel to the off position",
                ),
                shown=(
                    "a finger flips a breaker in a gray electrical panel",
                    "a non-contact voltage tester is held to the switch and stays silent",
                    "rows of labeled breakers inside an open panel door",
                ),
                remarks=(
                    "safety first seriously electricity does not mess around",
                    "i really can't stress this enough",
                ),
            ),
            Step(
                said=(
                    "unscrew the cover plate and set the screws aside",
                    "now take out the two screws holding the switch to the box",
                    "pull the old switch out gently so you can see the wires",
                    "careful not to let the little screws fall in the wall",
                ),
                shown=(
                    "a screwdriver removes the cover plate from a wall switch",
                    "the old switch is eased out of the electrical box on its wires",
                    "close-up of black, white and bare copper wires behind a switch",
                ),
                remarks=(
                    "ask me how many i've lost",
                    "this is easier than it looks",
                ),
            ),
            Step(
                said=(
                    "take a photo of the wiring before you touch anything",
                    "loosen the terminal screws and unhook the wires",
                    "i put a bit of tape on the hot wire so i remember which is which",
                    "so we've got a line a load and a ground here",
                ),
                shown=(
                    "a phone photographs the wires attached to the old switch",
                    "a strip of blue tape is wrapped around a black wire",
                    "a screwdriver backs out a brass terminal screw",
                ),
                remarks=(
                    "future you will be so grateful",
                    "this has saved me more than once",
                ),
            ),
            Step(
                said=(
                    "connect the wires to the new {switch} the same way",
                    "hook the wire clockwise around the screw so it tightens with it",
                    "the ground wire goes to the green screw",
                    "give each wire a tug to make sure it's secure",
                ),
                shown=(
                    "a copper wire is bent into a hook with needle-nose pliers",
                    "wires are fastened to the terminals of a new {switch}",
                    "a bare ground wire is wrapped around a green screw",
                ),
                remarks=(
                    "this is the part where you really pay attention",
                    "it's not hard just take it slow",
                ),
            ),
            Step(
                said=(
                    "fold the wires back in and push the switch into the box",
                    "screw it in and make sure it's sitting straight",
                    "now put the new cover plate on",
                    "don't overtighten the plate screws or it'll crack",
                ),
                shown=(
                    "the new {switch} is pressed into the wall box",
                    "a small level sits on top of the switch",
                    "a clean white cover plate is screwed over the switch",
                ),
                remarks=(
                    "we're almost done now hang in there",
                    "it already looks so much better",
                ),
            ),
            Step(
                said=(
                    "back to the panel and flip the breaker on",
                    "the light comes on perfect",
                    "push the breaker lever back to the on position",
                    "head back to the panel and turn the circuit back on",
                ),
                shown=(
                    "the breaker lever is pushed back to the on position",
                    "a finger presses the new {switch} and a ceiling light glows",
                    "the hallway light turns on and off as the switch is toggled",
                ),
                remarks=(
                    "and let's test it this is the moment of truth",
                    "if you're not comfortable doing this call an electrician",
                ),
            ),
        ),
    ),
    Task(
        name="unclog a sink drain trap",
        domain="home repair",
        slots={
            "sink": ("kitchen sink", "bathroom sink"),
        },
        steps=(
            Step(
                said=(
                    "clear out all the stuff under the {sink} first",
                    "so the {sink} is draining super slow let's fix it",
                    "put a bucket under the trap before you do anything",
                    "grab some old towels because this gets messy",
                ),
                shown=(
                    "a plastic bucket is placed under the curved drain pipe",
                    "cleaning bottles are moved out of the cabinet under a sink",
                    "standing gray water sits in the basin of a {sink}",
                ),
                remarks=(
                    "it's always the worst timing when this happens",
                    "don't call a plumber just yet",
                ),
            ),
            Step(
                said=(
                    "try a plunger first sometimes that's all you need",
                    "cover the overflow hole with a wet rag then plunge",
                    "quick strong pumps like ten or fifteen times",
                    "no luck okay let's take the trap off",
                ),
                shown=(
                    "a small cup plunger pumps over the drain opening",
                    "a wet cloth is held over the overflow hole",
                    "water gurgles but stays in the basin",
                ),
                remarks=(
                    "this works more often than you'd think",
                    "it's worth a shot before anything else",
                ),
            ),
            Step(
                said=(
                    "unscrew the slip nuts on both ends of the trap",
                    "they should come off by hand if not use some channel locks",
                    "tip the water out into the bucket",
                    "twist the slip nuts loose by hand on the curved pipe",
                ),
                shown=(
                    "hands twist plastic slip nuts on the u-shaped pipe",
                    "the trap comes loose and dirty water spills into the bucket",
                    "channel lock pliers grip a stubborn nut",
                ),
                remarks=(
                    "oh man that smell is something else",
                    "this is not the glamorous part",
                ),
            ),
            Step(
                said=(
                    "clean out the trap look at all that gunk",
                    "use an old toothbrush or a bit of wire to scrape it out",
                    "if the clog is further in the wall you'll need a drain snake",
                    "that's mostly hair and soap so gross",
                ),
                shown=(
                    "a gloved finger pulls a clump of hair from the pipe",
                    "a toothbrush scrubs the inside of the trap over the bucket",
                    "a coiled drain snake is fed into the pipe in the wall",
                ),
                remarks=(
                    "i'm trying really hard not to gag right now",
                    "this is exactly why you want a drain cover",
                ),
            ),
            Step(
                said=(
                    "put the trap back on and hand tighten the nuts",
                    "check the washers are seated right or it'll leak",
                    "snug is enough don't crush the plastic",
                    "line the clean trap back up with the wall pipe",
                ),
                shown=(
                    "the cleaned trap is lined up with the tailpiece and wall pipe",
                    "fingers tighten slip nuts at both ends of the trap",
                    "close-up of a beveled washer sitting inside a nut",
                ),
                remarks=(
                    "okay it's all back together now",
                    "that wasn't nearly as bad as i expected",
                ),
            ),
            Step(
                said=(
                    "run the water and watch for any leaks",
                    "put a dry paper towel under the joints to see drips",
                    "and look at that it drains straight down",
                    "turn on the tap and watch the water swirl away",
                ),
                shown=(
                    "water swirls quickly down the open drain",
                    "a paper towel is held under the pipe joints and stays dry",
                    "a flashlight shines on the reconnected trap under the sink",
                ),
                remarks=(
                    "super easy fix you just saved yourself a plumber",
                    "such a good feeling when it finally works",
                ),
            ),
        ),
    ),
)

# --------------------------------------------------------------------------------------------------------------------
# crafts
# --------------------------------------------------------------------------------------------------------------------

_CRAFTS: tuple[Task, ...] = (
    Task(
        name="scented soy candle",
        domain="crafts",
        slots={
            "scent": ("lavender", "vanilla", "eucalyptus"),
            "vessel": ("mason jar", "tin", "teacup"),
        },
        steps=(
            Step(
                said=(
                    "stick a wick to the bottom of your {vessel} with a wick sticker",
                    "center it as best you can in the middle",
                    "i'm using cotton wicks they burn cleaner",
                    "make sure the {vessel} is clean and totally dry first",
                ),
                shown=(
                    "a metal-tabbed wick is pressed onto the base of a {vessel}",
                    "a finger centers the wick inside the empty {vessel}",
                    "a pack of cotton wicks and round stickers lies on the table",
                ),
                remarks=(
                    "this is such a relaxing project",
                    "they make the best gifts",
                ),
            ),
            Step(
                said=(
                    "melt the soy wax flakes in a double boiler",
                    "just stir it gently until it's all clear",
                    "don't put the wax straight on the heat it can catch fire",
                    "i use a pouring jug sitting in a pot of water",
                ),
                shown=(
                    "white wax flakes sit in a metal pitcher in simmering water",
                    "a bamboo stick stirs wax as it turns clear and liquid",
                    "melted wax shines in a pouring jug on the stove",
                ),
                remarks=(
                    "safety is super important here",
                    "it smells so nice even before the fragrance",
                ),
            ),
            Step(
                said=(
                    "let it cool to about one eighty five then add the {scent} oil",
                    "stir it for a full two minutes so the scent binds",
                    "i use about an ounce of {scent} per pound of wax",
                    "grab your thermometer because this part matters",
                ),
                shown=(
                    "a clip-on thermometer reads the temperature of molten wax",
                    "drops of {scent} fragrance oil fall into the wax",
                    "a stirring stick circles slowly in the scented wax",
                ),
                remarks=(
                    "i learned this after a lot of failed batches",
                    "it's a bit of a science experiment",
                ),
            ),
            Step(
                said=(
                    "pour the wax slowly into the {vessel}",
                    "leave a little space at the top",
                    "pour slow or you'll get air bubbles",
                    "let the melted wax flow in a thin stream into the {vessel}",
                ),
                shown=(
                    "a thin stream of wax flows into the {vessel}",
                    "the {vessel} fills with pale liquid wax around the wick",
                    "a paper towel catches a drip from the jug spout",
                ),
                remarks=(
                    "okay here we go nice and steady",
                    "this is my favorite moment",
                ),
            ),
            Step(
                said=(
                    "use a clothespin or two chopsticks to keep the wick straight",
                    "the wick will want to flop over so hold it in the middle",
                    "make sure it's still centered in the wax",
                    "rest two chopsticks across the rim to hold the wick upright",
                ),
                shown=(
                    "two wooden chopsticks hold the wick upright across the rim",
                    "a clothespin grips the wick above the cooling wax",
                    "the wax turns opaque as it sets in the {vessel}",
                ),
                remarks=(
                    "now just leave it alone to set",
                    "resist the urge to poke at it",
                ),
            ),
            Step(
                said=(
                    "trim the wick down to about a quarter inch",
                    "and here's the finished {scent} candle so pretty",
                    "snip the wick with scissors just above the wax",
                    "cut the wick short so it sits right above the surface",
                ),
                shown=(
                    "scissors snip the wick just above the smooth wax surface",
                    "a solid white candle sits in its {vessel} on a shelf",
                    "the lit candle flickers with a small steady flame",
                ),
                remarks=(
                    "let it cure for at least a day before you light it",
                    "for the best scent throw wait a week or two",
                ),
            ),
        ),
    ),
    Task(
        name="handmade stamped greeting card",
        domain="crafts",
        slots={
            "occasion": ("birthday", "anniversary", "holidays"),
            "color": ("pink", "navy", "mint green"),
        },
        steps=(
            Step(
                said=(
                    "fold your cardstock in half and crease it with a bone folder",
                    "line up the corners before you press the fold",
                    "i'm using {color} cardstock for this one today",
                    "a good crisp fold makes the whole card look better",
                ),
                shown=(
                    "a sheet of {color} cardstock is folded in half on a cutting mat",
                    "a bone folder runs along the crease of the card",
                    "the corners of the folded paper are lined up by fingertips",
                ),
                remarks=(
                    "card making is my favorite way to unwind",
                    "people love getting something handmade",
                ),
            ),
            Step(
                said=(
                    "cut a smaller panel of white paper for the front",
                    "trim it about a quarter inch smaller on each side",
                    "a paper trimmer makes this so much easier",
                    "slide the white paper into the trimmer and slice off the edge",
                ),
                shown=(
                    "a rotary paper trimmer slices a white rectangle",
                    "a metal ruler and craft knife cut a panel on a green mat",
                    "a white panel is held against the {color} card to check the border",
                ),
                remarks=(
                    "measure twice cut once right",
                    "this is where i usually mess up",
                ),
            ),
            Step(
                said=(
                    "ink up your stamp and press it down firmly",
                    "i'm stamping happy {occasion} right in the middle",
                    "use a stamping tool so the words come out straight",
                    "don't rock the stamp just press and lift",
                ),
                shown=(
                    "a clear stamp is pressed onto a black ink pad",
                    "a stamping block presses down onto the white panel",
                    "the crisp words happy {occasion} appear in black ink",
                ),
                remarks=(
                    "practice on scrap paper first if you're nervous",
                    "this is the part i love the most",
                ),
            ),
            Step(
                said=(
                    "now color in the flowers with markers",
                    "i like to blend two shades for a bit of depth",
                    "go light first you can always add more color",
                    "fill in the stamped flower outlines with your markers",
                ),
                shown=(
                    "alcohol markers color in stamped flower outlines",
                    "a fine marker tip shades the petals in two tones",
                    "a row of uncapped markers lies beside the panel",
                ),
                remarks=(
                    "this is the relaxing part so put on some music",
                    "there's no wrong way to do this",
                ),
            ),
            Step(
                said=(
                    "put foam tape on the back so it pops up a little",
                    "stick the panel onto the front of the card",
                    "glue down the edges so they don't lift",
                    "okay line it up and press it down",
                ),
                shown=(
                    "small squares of foam tape are stuck to the back of the panel",
                    "the white panel is pressed onto the front of the card",
                    "a glue stick is swiped around the edges of the paper",
                ),
                remarks=(
                    "this is such an easy trick",
                    "it really makes it look store bought",
                ),
            ),
            Step(
                said=(
                    "add a few sequins or gems for some sparkle",
                    "a little bow in {color} ribbon would look cute too",
                    "tweezers really help with the tiny stuff",
                    "place the tiny sequins around the words with tweezers",
                ),
                shown=(
                    "tweezers place tiny sequins around the stamped words",
                    "a small ribbon bow is glued at the top of the panel",
                    "glittering gems catch the light on the card front",
                ),
                remarks=(
                    "don't go overboard less is more here",
                    "i could do this for hours honestly",
                ),
            ),
            Step(
                said=(
                    "write a little note inside and you're done",
                    "and here's the finished card i love how it came out",
                    "pop it in an envelope and it's ready to send",
                    "that's your handmade {occasion} card all finished",
                ),
                shown=(
                    "a pen writes a short message inside the open card",
                    "the finished card stands upright on a desk",
                    "the card slides into a matching envelope",
                ),
                remarks=(
                    "whoever gets this is gonna be so happy",
                    "it's the little things that count",
                ),
            ),
        ),
    ),
    Task(
        name="sew an envelope cushion cover",
        domain="crafts",
        slots={
            "fabric": ("linen", "cotton", "velvet"),
        },
        steps=(
            Step(
                said=(
                    "measure your cushion and add an inch for the seams",
                    "cut one square for the front out of the {fabric}",
                    "for the back we're doing an envelope so cut two rectangles",
                    "use fabric scissors only never your paper scissors",
                ),
                shown=(
                    "a tape measure stretches across a square cushion insert",
                    "fabric shears cut along a chalk line on {fabric}",
                    "three pieces of {fabric} lie flat on a cutting table",
                ),
                remarks=(
                    "this is a great first sewing project",
                    "you'll be surprised how quick this is",
                ),
            ),
            Step(
                said=(
                    "fold over one long edge of each back piece twice and press",
                    "iron it flat it makes sewing so much easier",
                    "stitch along the fold to hem it",
                    "press the folded hem flat with a hot iron",
                ),
                shown=(
                    "a hot iron presses a folded hem on the fabric",
                    "a sewing machine foot runs along a pressed edge",
                    "a neat line of stitching finishes the edge of a rectangle",
                ),
                remarks=(
                    "go slow at the start until you get the hang of it",
                    "this is the boring bit but it really pays off",
                ),
            ),
            Step(
                said=(
                    "lay the front face up then the two back pieces face down",
                    "overlap the back pieces in the middle that's your opening",
                    "pin all the way around the edge",
                    "right sides together that's really important",
                ),
                shown=(
                    "two hemmed rectangles overlap on top of the front square",
                    "hands push straight pins through layers of {fabric}",
                    "a pincushion sits next to the pinned square",
                ),
                remarks=(
                    "i've messed this up more times than i can count",
                    "double check before you move on",
                ),
            ),
            Step(
                said=(
                    "sew all the way around with a half inch seam",
                    "backstitch at the start and the end so it doesn't unravel",
                    "pull the pins out as you go don't sew over them",
                    "pivot at the corners with the needle down",
                ),
                shown=(
                    "the sewing machine stitches along the edge of the layered fabric",
                    "the needle stays down as the fabric is turned at a corner",
                    "pins are pulled out just before the presser foot",
                ),
                remarks=(
                    "this is the most satisfying part",
                    "don't worry if your line isn't perfect",
                ),
            ),
            Step(
                said=(
                    "clip the corners so they'll be nice and sharp",
                    "don't cut through your stitching though",
                    "trim off any loose threads too while you're at it",
                    "snip across each corner at an angle with your scissors",
                ),
                shown=(
                    "scissors snip diagonally across a sewn corner",
                    "loose thread ends are trimmed at the seam",
                    "close-up of a clipped corner beside the stitch line",
                ),
                remarks=(
                    "this little step makes a big difference",
                    "nobody ever tells beginners about this",
                ),
            ),
            Step(
                said=(
                    "turn it right side out through the opening",
                    "push the corners out with a chopstick",
                    "give it a final press and then stuff the cushion in",
                    "and there it is a brand new {fabric} cushion",
                ),
                shown=(
                    "the cover is turned right side out through the envelope back",
                    "a chopstick pokes out the corners from inside",
                    "a plump cushion in a new {fabric} cover rests on a sofa",
                ),
                remarks=(
                    "i love how this turned out",
                    "you'll want to make a whole set",
                ),
            ),
        ),
    ),
    Task(
        name="striped friendship bracelet",
        domain="crafts",
        slots={
            "colors": ("red and white", "blue and yellow", "purple and teal"),
        },
        steps=(
            Step(
                said=(
                    "cut four strands of embroidery floss about an arm long",
                    "i'm doing {colors} for this one",
                    "snip the {colors} embroidery thread into long pieces",
                    "measure out each strand of thread and cut it with scissors",
                ),
                shown=(
                    "scissors cut lengths of {colors} embroidery thread",
                    "strands of colorful floss are measured against a forearm",
                    "skeins of thread in {colors} lie on a wooden table",
                ),
                remarks=(
                    "make them all the same length it's easier",
                    "this is a super beginner friendly pattern",
                ),
            ),
            Step(
                said=(
                    "tie them all together in a knot leaving a little tail",
                    "tape the knot to the table so it stays put",
                    "spread the strands out in the order you want",
                    "gather the strands together and knot them at the top",
                ),
                shown=(
                    "the strands are gathered and tied in an overhand knot",
                    "a piece of masking tape holds the knot to the table",
                    "four threads fan out below the taped knot",
                ),
                remarks=(
                    "you could use a clipboard too that works great",
                    "this brings back so many summer camp memories",
                ),
            ),
            Step(
                said=(
                    "take the left strand and make a forward knot over the next one",
                    "do two knots on each strand before moving on",
                    "pull it up tight to the top each time",
                    "it makes a little four shape then you pull it through",
                ),
                shown=(
                    "fingers loop one thread over another and pull it tight",
                    "a small knot slides up the thread toward the top",
                    "close-up of a thread wrapping around its neighbor",
                ),
                remarks=(
                    "it takes a few tries to get the hang of it",
                    "once it clicks it's so easy",
                ),
            ),
            Step(
                said=(
                    "keep going row after row and the stripes appear",
                    "the color on the left moves all the way across",
                    "keep knotting and watch the diagonal stripes grow down the bracelet",
                    "each row of knots adds another stripe of color",
                ),
                shown=(
                    "diagonal stripes of {colors} grow down the bracelet",
                    "a new row of knots is tied from left to right",
                    "the woven section lengthens below the tape",
                ),
                remarks=(
                    "just repeat that same thing over and over",
                    "put on a show because this takes a while",
                ),
            ),
            Step(
                said=(
                    "check the length around your wrist",
                    "you want it to go all the way around with a bit extra",
                    "almost there just a couple more rows",
                    "wrap the bracelet around your wrist to see how it fits",
                ),
                shown=(
                    "the unfinished bracelet is wrapped around a wrist",
                    "a ruler measures the length of the woven band",
                    "the striped band lies next to a wrist for comparison",
                ),
                remarks=(
                    "if it's long enough we can finish it off",
                    "everyone's different so just go by feel",
                ),
            ),
            Step(
                said=(
                    "tie another knot at the end and braid the tails",
                    "trim the ends and tie it on",
                    "and here's the finished {colors} bracelet so cute",
                    "braid the loose threads into a short tail at the end",
                ),
                shown=(
                    "the loose threads are braided into a short tail",
                    "scissors trim the ends below a final knot",
                    "the finished striped bracelet is tied around a wrist",
                ),
                remarks=(
                    "make one for your best friend too",
                    "i've made probably a hundred of these",
                ),
            ),
        ),
    ),
)

# --------------------------------------------------------------------------------------------------------------------
# gardening
# --------------------------------------------------------------------------------------------------------------------

_GARDENING: tuple[Task, ...] = (
    Task(
        name="repot a houseplant",
        domain="gardening",
        slots={
            "plant": ("pothos", "snake plant", "monstera"),
            "pot": ("terracotta pot", "ceramic pot"),
        },
        steps=(
            Step(
                said=(
                    "pick a pot that's only an inch or two bigger than the old one",
                    "make sure it has a drainage hole this is so important",
                    "my {plant} is totally root bound look at it",
                    "i got this {pot} at the garden center last week",
                ),
                shown=(
                    "a {plant} in a cracked plastic pot sits next to a new {pot}",
                    "a finger points at the drainage hole in the bottom of a pot",
                    "roots poke out of the bottom of a small nursery pot",
                ),
                remarks=(
                    "bigger isn't always better here",
                    "this is the step most people overthink",
                ),
            ),
            Step(
                said=(
                    "put a layer of fresh potting mix in the bottom",
                    "i mix in some perlite so it drains better",
                    "not too much you want the plant at the same height",
                    "okay a little soil in the bottom first",
                ),
                shown=(
                    "dark potting soil is scooped into the {pot}",
                    "white perlite is stirred into a tub of potting mix",
                    "a trowel levels a layer of soil at the base of the pot",
                ),
                remarks=(
                    "this is where a lot of people cut corners",
                    "i've been doing it this way for years",
                ),
            ),
            Step(
                said=(
                    "squeeze the old pot and slide the {plant} out",
                    "tip it upside down and support the base with your hand",
                    "if it's stuck run a knife around the inside",
                    "ease the root ball out of the old plastic pot",
                ),
                shown=(
                    "hands squeeze a plastic pot and the root ball slips out",
                    "a {plant} is held upside down while the pot is pulled off",
                    "a dense root ball keeps the shape of the old pot",
                ),
                remarks=(
                    "be really gentle with it at this point",
                    "this part always makes me a little nervous",
                ),
            ),
            Step(
                said=(
                    "tease the roots apart with your fingers",
                    "cut off anything that's brown or mushy",
                    "see how they're circling around that's why it needs a bigger pot",
                    "gently pull apart the tangled white roots",
                ),
                shown=(
                    "fingers loosen a tangle of white roots",
                    "pruning snips cut away a dark rotten root",
                    "old soil crumbles from the roots onto newspaper",
                ),
                remarks=(
                    "don't worry you won't hurt it",
                    "it's kind of satisfying honestly",
                ),
            ),
            Step(
                said=(
                    "set the {plant} in the middle of the new pot",
                    "fill in around the sides with more soil",
                    "press it down lightly but don't pack it",
                    "leave about an inch at the top for watering",
                ),
                shown=(
                    "the {plant} is centered in the {pot}",
                    "soil is poured in around the root ball",
                    "fingertips firm the soil around the stems",
                ),
                remarks=(
                    "it's already looking so much happier",
                    "this is the fun part",
                ),
            ),
            Step(
                said=(
                    "give it a good deep watering",
                    "water until it runs out the bottom",
                    "put it back in bright indirect light",
                    "pour water over the fresh soil with a watering can",
                ),
                shown=(
                    "a watering can pours over the freshly potted {plant}",
                    "water drips from the drainage hole into a saucer",
                    "the repotted {plant} sits on a sunny windowsill",
                ),
                remarks=(
                    "it might droop for a few days that's normal",
                    "give it some time to settle in",
                ),
            ),
        ),
    ),
    Task(
        name="plant seedlings in a raised bed",
        domain="gardening",
        slots={
            "crop": ("tomato", "pepper", "zucchini"),
        },
        steps=(
            Step(
                said=(
                    "so first let's loosen up the soil in the raised bed",
                    "pull out any weeds that snuck in over winter",
                    "i'm mixing in a couple bags of compost",
                    "turn the dark soil over with a garden fork",
                ),
                shown=(
                    "a garden fork turns dark soil in a wooden raised bed",
                    "gloved hands pull weeds from the bed",
                    "compost is tipped from a bag and raked into the soil",
                ),
                remarks=(
                    "your {crop} plants are gonna love this stuff",
                    "good soil is really half the battle",
                ),
            ),
            Step(
                said=(
                    "dig a hole a bit deeper than the pot",
                    "space them about two feet apart they get big",
                    "i use my trowel to measure it out",
                    "okay let's dig the first hole",
                ),
                shown=(
                    "a trowel digs a hole in the loose soil",
                    "a measuring tape lies along the bed between holes",
                    "a row of evenly spaced holes in the raised bed",
                ),
                remarks=(
                    "this goes quick once you get a rhythm",
                    "my back is gonna feel this tomorrow",
                ),
            ),
            Step(
                said=(
                    "throw a handful of slow release fertilizer in the hole",
                    "mix it in with the soil at the bottom",
                    "sprinkle the fertilizer granules right into the hole",
                    "scatter a little fertilizer in the bottom of each hole",
                ),
                shown=(
                    "granular fertilizer is sprinkled into the planting hole",
                    "fingers stir pellets into the soil at the bottom of a hole",
                    "crushed eggshells are scattered into the hole",
                ),
                remarks=(
                    "some people add crushed eggshells too",
                    "a little bit goes a long way",
                ),
            ),
            Step(
                said=(
                    "pop the {crop} seedling out of its pot",
                    "set it in the hole and backfill with soil",
                    "plant it so the soil line is where it was in the pot",
                    "firm it in gently around the stem",
                ),
                shown=(
                    "a young {crop} seedling is eased out of a plastic cell",
                    "the seedling is lowered into the hole",
                    "soil is pushed in around the stem with both hands",
                ),
                remarks=(
                    "i always get a little excited at this point",
                    "this is when it starts to feel like a real garden",
                ),
            ),
            Step(
                said=(
                    "put a stake in now so you don't stab the roots later",
                    "tie it loosely with some garden twine",
                    "do a figure eight loop so it doesn't strangle the stem",
                    "push a bamboo cane into the soil right next to the seedling",
                ),
                shown=(
                    "a bamboo cane is pushed into the soil beside the seedling",
                    "green twine loops around the stem and stake",
                    "a row of staked seedlings stands in the bed",
                ),
                remarks=(
                    "trust me they'll need the support in a month",
                    "future you will thank you for this",
                ),
            ),
            Step(
                said=(
                    "water them in really well right at the base",
                    "then a layer of straw mulch around them",
                    "mulch keeps the soil moist and the weeds down",
                    "that's the {crop} bed done for the year",
                ),
                shown=(
                    "a hose wand soaks the soil around each seedling",
                    "straw is spread between the young plants",
                    "the finished bed shows mulched seedlings in tidy rows",
                ),
                remarks=(
                    "and now the long wait begins",
                    "i can't wait to see these grow",
                ),
            ),
        ),
    ),
    Task(
        name="prune a rose bush",
        domain="gardening",
        slots={},
        steps=(
            Step(
                said=(
                    "grab some sharp bypass pruners and thick gloves",
                    "wipe your blades with alcohol so you don't spread disease",
                    "these thorns are no joke wear long sleeves",
                    "lay out your pruners and leather gloves before you start",
                ),
                shown=(
                    "a pair of bypass pruners and leather gauntlets lie on a bench",
                    "a cloth wipes the blades of the pruners",
                    "a bare rose bush stands in a garden bed",
                ),
                remarks=(
                    "late winter is the best time to do this",
                    "roses are a lot tougher than people think",
                ),
            ),
            Step(
                said=(
                    "start by cutting out anything dead",
                    "dead canes are brown or black and brittle",
                    "cut down to where you see green inside",
                    "just get rid of all the dead stuff",
                ),
                shown=(
                    "pruners snip a dry brown cane at its base",
                    "close-up of a cut stem showing green tissue",
                    "dead canes pile up on the ground",
                ),
                remarks=(
                    "don't be scared it always grows back",
                    "this instantly makes it look healthier",
                ),
            ),
            Step(
                said=(
                    "now look for canes that cross and rub each other",
                    "take out the weaker one of the two",
                    "you want the middle open so air can get in",
                    "find the two canes rubbing together in the middle",
                ),
                shown=(
                    "two crossing canes rub together in the center of the bush",
                    "pruners remove a thin cane from the middle",
                    "the center of the rose bush is open and airy",
                ),
                remarks=(
                    "think of it like a vase shape",
                    "this took me a while to understand",
                ),
            ),
            Step(
                said=(
                    "cut each cane just above an outward facing bud",
                    "angle the cut so the water runs off",
                    "about a quarter inch above the bud not more",
                    "snip the cane a little above the swollen bud",
                ),
                shown=(
                    "close-up of a swollen bud on a green cane",
                    "the blades make an angled cut just above a bud",
                    "a freshly cut cane tip slants away from the bud",
                ),
                remarks=(
                    "this tells the plant where to grow",
                    "it's honestly kind of clever",
                ),
            ),
            Step(
                said=(
                    "rake up all the cuttings and old leaves",
                    "don't compost them if there was any black spot",
                    "rake the thorny cuttings together into a pile",
                    "gather all the clippings and leaves off the ground",
                ),
                shown=(
                    "a rake gathers thorny cuttings into a pile",
                    "fallen leaves are scooped into a garden waste bag",
                    "bare soil surrounds the pruned rose",
                ),
                remarks=(
                    "a clean bed means fewer problems later",
                    "okay that's looking much better",
                ),
            ),
            Step(
                said=(
                    "give it a handful of rose food around the base",
                    "then put down a nice layer of mulch",
                    "water it in and wait for spring",
                    "scatter the fertilizer granules around the base of the rose",
                ),
                shown=(
                    "granular fertilizer is scattered around the base of the rose",
                    "bark mulch is spread in a ring around the pruned bush",
                    "a watering can wets the mulch around the rose",
                ),
                remarks=(
                    "you'll get so many more flowers this way",
                    "my neighbor always asks how i get so many blooms",
                ),
            ),
        ),
    ),
    Task(
        name="start seeds in a cell tray",
        domain="gardening",
        slots={
            "seed": ("basil", "lettuce", "pepper"),
        },
        steps=(
            Step(
                said=(
                    "fill your seed tray with seed starting mix",
                    "moisten the mix first so it's like a wrung out sponge",
                    "don't use garden soil it's too heavy",
                    "tap the tray to settle it down",
                ),
                shown=(
                    "fine seed compost is poured into a black plastic cell tray",
                    "water is mixed into a tub of dry seed mix",
                    "a tray is tapped on the bench so the soil settles",
                ),
                remarks=(
                    "this is my favorite time of year",
                    "starting from scratch saves so much money",
                ),
            ),
            Step(
                said=(
                    "poke a little hole in each cell with a pencil",
                    "about twice as deep as the seed is big",
                    "{seed} seeds are tiny so go really shallow",
                    "you just want a little dimple",
                ),
                shown=(
                    "a pencil tip presses a small dent into each cell",
                    "a row of shallow holes in the moist compost",
                    "a fingertip pushes a shallow dimple into the soil",
                ),
                remarks=(
                    "it's fiddly but kind of relaxing",
                    "don't overthink it you'll get a feel for it",
                ),
            ),
            Step(
                said=(
                    "drop two {seed} seeds in each hole",
                    "i tip them into my palm and pick them up with a toothpick",
                    "tip the tiny {seed} seeds into the palm of your hand",
                    "use a toothpick to place each seed in its hole",
                ),
                shown=(
                    "tiny {seed} seeds rest in the palm of a hand",
                    "a damp toothpick places seeds one by one into the cells",
                    "a seed packet is torn open above the tray",
                ),
                remarks=(
                    "if both come up you just thin it to one",
                    "look how small these are",
                ),
            ),
            Step(
                said=(
                    "sprinkle a thin layer of mix over the top",
                    "some seeds need light so barely cover those",
                    "press down gently so the seed touches the soil",
                    "shake the compost through a sieve over the cells",
                ),
                shown=(
                    "a sieve sprinkles fine compost over the sown cells",
                    "a flat hand lightly presses the soil surface",
                    "the surface of the tray looks smooth and even",
                ),
                remarks=(
                    "alright they're all covered now",
                    "you're almost done with the fiddly bit",
                ),
            ),
            Step(
                said=(
                    "label every row you will forget i promise",
                    "mist them with a spray bottle so the seeds don't wash away",
                    "i write the {seed} variety and the date",
                    "water from the bottom if you can",
                ),
                shown=(
                    "a plant label reading {seed} is pushed into the corner of the tray",
                    "a spray bottle mists the soil surface",
                    "the tray sits in a shallow dish of water",
                ),
                remarks=(
                    "i learned this the hard way last year",
                    "it all looks the same once it sprouts",
                ),
            ),
            Step(
                said=(
                    "put a clear lid on to keep it humid",
                    "keep them somewhere warm until they sprout",
                    "once they come up take the lid off and get them under a light",
                    "set the clear plastic dome over the whole tray",
                ),
                shown=(
                    "a clear plastic dome is placed over the seed tray",
                    "the covered tray sits on a heat mat",
                    "tiny green sprouts grow under a bright led grow light",
                ),
                remarks=(
                    "and now the hardest part waiting",
                    "checking on them every morning is the best",
                ),
            ),
        ),
    ),
)

# --------------------------------------------------------------------------------------------------------------------
# cleaning
# --------------------------------------------------------------------------------------------------------------------

_CLEANING: tuple[Task, ...] = (
    Task(
        name="deep clean an oven without chemicals",
        domain="cleaning",
        slots={},
        steps=(
            Step(
                said=(
                    "pull out the oven racks and set them aside",
                    "make sure the oven is off and completely cold",
                    "i'll soak the racks in the tub later",
                    "lean the greasy racks against the wall out of the way",
                ),
                shown=(
                    "greasy oven racks are slid out and leaned against the wall",
                    "the inside of a dirty oven with dark baked-on stains",
                    "oven racks soak in a bathtub full of soapy water",
                ),
                remarks=(
                    "look at this it's been way too long",
                    "i'm a little embarrassed to show you this",
                ),
            ),
            Step(
                said=(
                    "mix baking soda with a little water to make a paste",
                    "you want it spreadable kind of like frosting",
                    "no harsh chemicals just baking soda and water",
                    "okay the paste is ready to go",
                ),
                shown=(
                    "water is stirred into baking soda in a small bowl",
                    "a thick white paste sits on a spatula",
                    "a gloved hand holds a bowl of paste next to the open oven",
                ),
                remarks=(
                    "this is so much cheaper than store bought",
                    "it's safe around pets and kids too",
                ),
            ),
            Step(
                said=(
                    "spread the paste all over the inside of the oven",
                    "put gloves on and just smear it everywhere",
                    "skip the heating element though",
                    "really pile it on the dirty spots",
                ),
                shown=(
                    "gloved hands smear white paste on the oven walls",
                    "the oven floor is coated with a thick layer of paste",
                    "the paste turns brown where it covers grease",
                ),
                remarks=(
                    "don't be shy here just go for it",
                    "it's oddly satisfying honestly i love this bit",
                ),
            ),
            Step(
                said=(
                    "now leave it overnight at least twelve hours",
                    "shut the door and walk away",
                    "close the oven door with the paste still inside",
                    "shut the oven on the coated walls and let it sit",
                ),
                shown=(
                    "the oven door is closed on the paste-covered interior",
                    "a clock on the wall shows the next morning",
                    "a hand opens the oven to reveal dried crusty paste",
                ),
                remarks=(
                    "this is where the magic happens",
                    "i'll see you tomorrow morning for the next part",
                ),
            ),
            Step(
                said=(
                    "wipe out the paste with a damp cloth",
                    "use a plastic scraper on the really stubborn bits",
                    "it's gonna be messy so keep rinsing your cloth",
                    "look at the grime that's coming off",
                ),
                shown=(
                    "a damp cloth wipes brown paste from the oven wall",
                    "a plastic scraper lifts crusted residue from the oven floor",
                    "a bucket of murky water stands next to the open oven",
                ),
                remarks=(
                    "this is the gross but satisfying part",
                    "i wish i'd done this months ago",
                ),
            ),
            Step(
                said=(
                    "spray a little vinegar on any leftover white residue",
                    "one more wipe and it's done",
                    "mist the vinegar over the white residue with a spray bottle",
                    "spray vinegar on the leftover streaks inside the oven",
                ),
                shown=(
                    "a spray bottle mists vinegar inside the oven",
                    "small bubbles fizz where vinegar hits the paste",
                    "the clean interior of the oven gleams under the oven light",
                ),
                remarks=(
                    "it'll fizz a bit and that's fine",
                    "look at that it's like new",
                ),
            ),
            Step(
                said=(
                    "scrub the racks with a brush and put them back in",
                    "rinse them well and dry them off",
                    "work the scrub brush along every bar of the rack",
                    "slide the clean racks back into the oven",
                ),
                shown=(
                    "a scrub brush works along the bars of an oven rack",
                    "clean racks are slid back into the oven",
                    "a before and after split screen of the oven interior",
                ),
                remarks=(
                    "and that's the whole oven done",
                    "honestly this is one of the most satisfying cleans",
                ),
            ),
        ),
    ),
    Task(
        name="streak free window cleaning",
        domain="cleaning",
        slots={},
        steps=(
            Step(
                said=(
                    "first dust off the frames and the sill",
                    "i use a dry brush for the corners",
                    "look at all the dead bugs on this sill",
                    "sweep the dust out of the window frame with a soft brush",
                ),
                shown=(
                    "a soft brush sweeps dust out of a window frame",
                    "a vacuum nozzle sucks debris from a window track",
                    "a dusty sill with a few dead insects",
                ),
                remarks=(
                    "if you skip this you'll just be smearing dirt around",
                    "nobody ever thinks about this part",
                ),
            ),
            Step(
                said=(
                    "fill a bucket with warm water and a few drops of dish soap",
                    "a splash of vinegar too if the glass is really dirty",
                    "mix it up with your hand",
                    "squeeze some dish soap into the bucket of warm water",
                ),
                shown=(
                    "dish soap is squeezed into a bucket of warm water",
                    "vinegar is poured from a bottle into the bucket",
                    "a hand swishes sudsy water in a plastic pail",
                ),
                remarks=(
                    "that's all you need seriously don't buy the fancy stuff",
                    "i've tried every product out there",
                ),
            ),
            Step(
                said=(
                    "wet the glass with the scrubber",
                    "cover every bit of the window",
                    "go over the edges and corners really well",
                    "run the wet scrubber wand across the whole pane",
                ),
                shown=(
                    "a wet scrubber wand moves across a window pane",
                    "soapy water streams down the glass",
                    "a scrubber pushes into the corner of the window",
                ),
                remarks=(
                    "don't let it dry before you squeegee",
                    "work quickly if it's a sunny day",
                ),
            ),
            Step(
                said=(
                    "now take your squeegee and pull from top to bottom",
                    "wipe the blade after every stroke",
                    "overlap each stroke by a couple inches",
                    "pull the squeegee down the soapy glass in one smooth stripe",
                ),
                shown=(
                    "a squeegee pulls a clean stripe down the soapy glass",
                    "a cloth wipes the rubber blade of the squeegee",
                    "water drips off the bottom edge of the window",
                ),
                remarks=(
                    "this part is so satisfying",
                    "it took me ages to get the technique down",
                ),
            ),
            Step(
                said=(
                    "wipe the edges with a microfiber cloth",
                    "get any drips along the bottom",
                    "look for streaks at an angle in the light",
                    "a little buff and it's perfect",
                ),
                shown=(
                    "a microfiber cloth dabs the bottom edge of the glass",
                    "a folded cloth polishes a streak near the frame",
                    "sunlight glints across the clean glass",
                ),
                remarks=(
                    "the details are what make it look professional",
                    "this is the step people skip",
                ),
            ),
            Step(
                said=(
                    "dry off the sill so it doesn't get water marks",
                    "you can barely tell there's glass there",
                    "wipe the water off the sill with a towel",
                    "dry the window sill so no marks are left",
                ),
                shown=(
                    "a towel wipes water from the window sill",
                    "the garden outside looks sharp through the spotless window",
                    "a streak-free pane reflects the room behind it",
                ),
                remarks=(
                    "and that's it crystal clear",
                    "do the outside the same way",
                ),
            ),
        ),
    ),
    Task(
        name="remove a carpet stain",
        domain="cleaning",
        slots={
            "stain": ("coffee", "red wine", "juice"),
        },
        steps=(
            Step(
                said=(
                    "first blot up as much of the {stain} as you can",
                    "blot don't rub rubbing just spreads it",
                    "press a clean towel down hard",
                    "so we've got a big {stain} stain on the carpet here",
                ),
                shown=(
                    "a white towel is pressed onto a dark stain on beige carpet",
                    "the towel lifts away showing a brown patch on its cloth",
                    "close-up of a fresh {stain} stain soaking into carpet fibers",
                ),
                remarks=(
                    "don't panic it's not as bad as it looks",
                    "the faster you get to it the better",
                ),
            ),
            Step(
                said=(
                    "mix a spoon of dish soap and a spoon of vinegar in warm water",
                    "put it all in a spray bottle",
                    "this is my go to carpet spray",
                    "measure the dish soap and vinegar into the spray bottle",
                ),
                shown=(
                    "dish soap and vinegar are measured into a spray bottle",
                    "warm water fills the bottle from the tap",
                    "a test spritz is sprayed in a hidden corner of carpet",
                ),
                remarks=(
                    "test it on a hidden spot first",
                    "it's cheaper than anything at the store",
                ),
            ),
            Step(
                said=(
                    "spray the stain until it's damp",
                    "don't soak it you don't want it in the padding",
                    "okay here we go spray it on",
                    "mist the {stain} stain until the fibers are damp",
                ),
                shown=(
                    "a spray bottle mists the {stain} stain",
                    "the carpet darkens with moisture around the stain",
                    "beads of liquid sit on the carpet fibers",
                ),
                remarks=(
                    "let it sit for five minutes",
                    "patience is really key here",
                ),
            ),
            Step(
                said=(
                    "blot it again with a clean cloth",
                    "work from the outside in so it doesn't spread",
                    "keep switching to a clean part of the towel",
                    "dab the stain with a cloth from the edge toward the middle",
                ),
                shown=(
                    "a cloth dabs the stain from its edge toward its center",
                    "the stain grows fainter under repeated blotting",
                    "a towel with color transferred from the carpet",
                ),
                remarks=(
                    "look at that it's lifting already",
                    "this is so satisfying to watch",
                ),
            ),
            Step(
                said=(
                    "if it's stubborn gently work it with a soft brush",
                    "little circles not too hard",
                    "then blot it again one more time",
                    "scrub the carpet in small circles with a soft brush",
                ),
                shown=(
                    "a soft brush scrubs the carpet in small circles",
                    "foam forms in the carpet fibers",
                    "the faint outline of the stain shows under the brush",
                ),
                remarks=(
                    "it's almost gone now just a little more",
                    "go easy you don't want to damage anything",
                ),
            ),
            Step(
                said=(
                    "rinse with a little plain water and blot dry",
                    "put a stack of paper towels on it with something heavy on top",
                    "spray a little plain water over the cleaned spot",
                    "blot up the rinse water with a dry towel",
                ),
                shown=(
                    "plain water is sprayed over the cleaned area",
                    "a stack of paper towels is weighed down with a heavy book",
                    "the dry carpet shows no trace of the stain",
                ),
                remarks=(
                    "just leave it there overnight",
                    "and it's gone you'd never know",
                ),
            ),
        ),
    ),
    Task(
        name="scrub a tiled shower",
        domain="cleaning",
        slots={},
        steps=(
            Step(
                said=(
                    "take everything out of the shower first",
                    "all the bottles razors everything",
                    "so this shower has a ton of soap scum let's fix it",
                    "clear the shampoo bottles off the shower shelf",
                ),
                shown=(
                    "shampoo bottles are removed from a shower shelf",
                    "a glass shower door clouded with soap scum",
                    "a bathroom window is pushed open",
                ),
                remarks=(
                    "open a window you want ventilation for this",
                    "this is the chore i put off the most",
                ),
            ),
            Step(
                said=(
                    "spray the whole thing down with cleaner",
                    "i make mine with warm vinegar and dish soap",
                    "the warm vinegar really cuts through the scum",
                    "coat the tile walls with cleaner from a spray bottle",
                ),
                shown=(
                    "a spray bottle coats the tile walls with cleaner",
                    "cleaner runs down the glass door in streaks",
                    "the tiles glisten with foamy spray",
                ),
                remarks=(
                    "let it sit for fifteen minutes",
                    "it smells a bit strong but it works",
                ),
            ),
            Step(
                said=(
                    "scrub the tiles with a non scratch sponge",
                    "start at the top and work down",
                    "for the grout grab an old toothbrush",
                    "rub the sponge in small circles over the white tiles",
                ),
                shown=(
                    "a sponge scrubs in circles over white tiles",
                    "a toothbrush works along a grout line",
                    "dirty foam slides down the tile wall",
                ),
                remarks=(
                    "put some muscle into it",
                    "this is my workout for the day",
                ),
            ),
            Step(
                said=(
                    "now the glass door same thing",
                    "if there's hard water spots use a paste of baking soda",
                    "get the tracks at the bottom too they're gross",
                    "scour the inside of the glass door with the sponge",
                ),
                shown=(
                    "a sponge scours the inside of the glass door",
                    "a small brush cleans the sliding door track",
                    "half of the glass is clear while the other half is cloudy",
                ),
                remarks=(
                    "you can see the difference already",
                    "i can't believe i let it get this bad",
                ),
            ),
            Step(
                said=(
                    "rinse everything off with the shower head",
                    "or use a jug if yours doesn't come off",
                    "make sure you get all the cleaner off",
                    "okay now it's rinse time",
                ),
                shown=(
                    "a handheld shower head rinses foam from the walls",
                    "a jug pours water down the tiles",
                    "clean water runs into the drain",
                ),
                remarks=(
                    "this always feels so refreshing",
                    "almost done now just one more bit",
                ),
            ),
            Step(
                said=(
                    "squeegee the glass and dry the tiles",
                    "if you squeegee after every shower it stays clean way longer",
                    "buff the fixtures with a dry cloth so they shine",
                    "and there you go a sparkling shower",
                ),
                shown=(
                    "a squeegee wipes the glass door from top to bottom",
                    "a microfiber towel polishes a chrome faucet",
                    "the bright shower has clear glass and white grout",
                ),
                remarks=(
                    "this is such a good feeling",
                    "it looks brand new honestly",
                ),
            ),
        ),
    ),
)

# --------------------------------------------------------------------------------------------------------------------
# bike and car care
# --------------------------------------------------------------------------------------------------------------------

_BIKE_AND_CAR: tuple[Task, ...] = (
    Task(
        name="fix a flat bike tire",
        domain="bike and car care",
        slots={
            "wheel": ("front", "rear"),
        },
        steps=(
            Step(
                said=(
                    "flip the bike over and open the brake",
                    "undo the quick release and pull the {wheel} wheel out",
                    "for the rear shift into the smallest cog first it's easier",
                    "so we've got a flat let's fix it",
                ),
                shown=(
                    "a bicycle rests upside down on its saddle and handlebars",
                    "a hand opens a quick release lever on the {wheel} hub",
                    "the {wheel} wheel is lifted out of the frame",
                ),
                remarks=(
                    "this always happens at the worst time",
                    "it's a skill every rider should know",
                ),
            ),
            Step(
                said=(
                    "let the rest of the air out first",
                    "hook a tire lever under the bead and clip it on a spoke",
                    "use a second lever and run it around the rim",
                    "try not to pinch the tube",
                ),
                shown=(
                    "a plastic tire lever pries the tire bead over the rim",
                    "two levers hold the tire off the rim",
                    "the tire edge is peeled away from the wheel",
                ),
                remarks=(
                    "this is the fiddly bit",
                    "it gets easier every time you do it",
                ),
            ),
            Step(
                said=(
                    "pull out the tube and pump a little air in to find the hole",
                    "listen for the hiss or hold it near your face",
                    "check inside the tire for whatever caused it",
                    "ah there's a little piece of glass",
                ),
                shown=(
                    "a deflated inner tube is pulled from inside the tire",
                    "the tube is held next to an ear while being pumped",
                    "fingers run carefully along the inside of the tire",
                ),
                remarks=(
                    "this is like detective work honestly",
                    "it's always something tiny that causes it",
                ),
            ),
            Step(
                said=(
                    "scuff the area and put a patch on or just use a new tube",
                    "i carry a spare tube honestly it's faster",
                    "put a little air in the new tube so it holds its shape",
                    "press the patch down hard for a minute",
                ),
                shown=(
                    "sandpaper roughens the rubber around a small hole",
                    "a patch is pressed firmly onto the tube",
                    "a new tube is unrolled from its box",
                ),
                remarks=(
                    "both ways work fine honestly it's up to you",
                    "do whatever you're comfortable with",
                ),
            ),
            Step(
                said=(
                    "push the valve through the hole in the rim first",
                    "tuck the tube into the tire all the way around",
                    "roll the last bit of the tire on with your thumbs",
                    "feed the valve stem into the rim and work the tube in",
                ),
                shown=(
                    "the valve stem is poked through the rim hole",
                    "the tube is tucked inside the tire around the wheel",
                    "thumbs push the final section of tire bead over the rim",
                ),
                remarks=(
                    "that last bit is always the hardest",
                    "don't give up it will go on",
                ),
            ),
            Step(
                said=(
                    "pump it up to the pressure on the side of the tire",
                    "check the tire is seated evenly all the way around",
                    "spin it and watch the line on the sidewall",
                    "clamp the pump head onto the valve and start pumping",
                ),
                shown=(
                    "a floor pump head is clamped onto the valve",
                    "the gauge needle climbs on the floor pump",
                    "the wheel spins while an eye checks the bead line",
                ),
                remarks=(
                    "okay that feels nice and firm",
                    "this is a good workout for your arms",
                ),
            ),
            Step(
                said=(
                    "put the wheel back in and close the quick release",
                    "close your brake again don't forget that",
                    "give it a spin and squeeze the brakes",
                    "drop the wheel back into the dropouts on the frame",
                ),
                shown=(
                    "the wheel is dropped back into the dropouts",
                    "the quick release lever is pressed closed",
                    "the upright bike's wheel spins freely before the brake is squeezed",
                ),
                remarks=(
                    "and you're ready to ride again",
                    "that wasn't so bad right",
                ),
            ),
        ),
    ),
    Task(
        name="clean and lube a bike chain",
        domain="bike and car care",
        slots={
            "lube": ("wet lube", "dry lube", "wax lube"),
        },
        steps=(
            Step(
                said=(
                    "apply degreaser all along the chain",
                    "backpedal while you spray so it gets everywhere",
                    "this chain is filthy look at it",
                    "put some cardboard down to catch the drips",
                ),
                shown=(
                    "a black greasy bike chain wraps the rear cog",
                    "degreaser is sprayed onto the chain as the pedal turns backward",
                    "a sheet of cardboard sits under the drivetrain",
                ),
                remarks=(
                    "i neglected this for way too long",
                    "your bike will ride so much smoother after this",
                ),
            ),
            Step(
                said=(
                    "scrub it with a stiff brush",
                    "get in between the cogs too",
                    "a chain cleaning tool makes this way easier",
                    "okay scrub scrub scrub keep going",
                ),
                shown=(
                    "a stiff brush scrubs the chain links",
                    "a clip-on chain cleaner is filled with solvent",
                    "a narrow brush picks grime from between the cassette cogs",
                ),
                remarks=(
                    "this is the dirty part",
                    "it's kind of therapeutic honestly",
                ),
            ),
            Step(
                said=(
                    "rinse it with water but not a pressure washer",
                    "a gentle hose or just a bucket",
                    "run a gentle stream of water over the chain",
                    "let the water rinse the grime off the links",
                ),
                shown=(
                    "a gentle stream of water rinses the chain",
                    "a sponge sloshes water over the drivetrain",
                    "the clean silver chain gleams",
                ),
                remarks=(
                    "you'll blast the grease out of your bearings",
                    "see how shiny it is now",
                ),
            ),
            Step(
                said=(
                    "dry the chain really well with a rag",
                    "run it through the rag while you backpedal",
                    "wrap a rag around the chain and turn the crank backward",
                    "wipe every link dry with the rag",
                ),
                shown=(
                    "a rag is wrapped around the chain as the crank turns backward",
                    "the rag comes away streaked with gray",
                    "the bike hangs on a stand drying in the sun",
                ),
                remarks=(
                    "let it air dry for a bit too",
                    "any water left will cause rust",
                ),
            ),
            Step(
                said=(
                    "put one drop of {lube} on each roller",
                    "go slow and do the whole chain",
                    "i like {lube} for the conditions around here",
                    "start at the quick link so you know where you began",
                ),
                shown=(
                    "a bottle of {lube} drips onto each roller of the chain",
                    "the nozzle moves link by link along the bottom of the chain",
                    "close-up of a drop of oil on a chain roller",
                ),
                remarks=(
                    "this is where people overdo it",
                    "take your time it's worth it",
                ),
            ),
            Step(
                said=(
                    "spin the cranks a few times and then wipe off the extra",
                    "excess lube just picks up dirt",
                    "the lube should be inside the rollers not outside",
                    "shift through the gears and you're done",
                ),
                shown=(
                    "the crank is turned as the chain runs through the gears",
                    "a clean rag wipes the outside of the chain",
                    "the rear derailleur shifts the chain across the cassette",
                ),
                remarks=(
                    "it sounds so much quieter now",
                    "do this every few weeks and it'll last ages",
                ),
            ),
        ),
    ),
    Task(
        name="change the engine oil",
        domain="bike and car care",
        slots={
            "oil": ("five w thirty", "zero w twenty", "ten w forty"),
        },
        steps=(
            Step(
                said=(
                    "get the car up on ramps and set the parking brake",
                    "run the engine for a couple minutes so the oil flows better",
                    "never get under a car held up by just a jack",
                    "drive the car slowly up onto the plastic ramps",
                ),
                shown=(
                    "a car drives slowly onto a pair of plastic ramps",
                    "wheel chocks are pushed behind the rear tires",
                    "a hand pulls up the parking brake lever",
                ),
                remarks=(
                    "okay let's do an oil change",
                    "this saves so much money over the shop",
                ),
            ),
            Step(
                said=(
                    "slide the drain pan under and loosen the drain plug",
                    "the last few turns do it by hand and pull it away quick",
                    "careful the oil is hot",
                    "let it drain for like ten minutes",
                ),
                shown=(
                    "a socket wrench loosens the drain plug under the engine",
                    "black oil pours from the oil pan into a drain pan",
                    "a gloved hand holds the removed drain plug",
                ),
                remarks=(
                    "this is the messy part for sure",
                    "wear old clothes for this one",
                ),
            ),
            Step(
                said=(
                    "now the oil filter twist it off with a filter wrench",
                    "it's gonna dribble so keep the pan under it",
                    "make sure the old gasket came off with it",
                    "grip the oil filter with the wrench and twist it loose",
                ),
                shown=(
                    "a filter wrench grips the cylindrical oil filter",
                    "the old filter is unscrewed and oil runs down the hand",
                    "the filter mounting surface is wiped with a rag",
                ),
                remarks=(
                    "these are always on so tight",
                    "this part can be a real pain",
                ),
            ),
            Step(
                said=(
                    "rub some fresh oil on the gasket of the new filter",
                    "screw it on hand tight plus a quarter turn",
                    "don't use the wrench to put it on",
                    "then put the drain plug back in with a new washer",
                ),
                shown=(
                    "a finger smears oil around the rubber ring of a new filter",
                    "a new filter is spun onto the engine by hand",
                    "the drain plug is tightened with a torque wrench",
                ),
                remarks=(
                    "this little detail saves a lot of trouble",
                    "i learned that one from my dad",
                ),
            ),
            Step(
                said=(
                    "pop the hood and pull the oil cap",
                    "pour in the {oil} with a funnel",
                    "go a little under and then check the dipstick",
                    "twist off the filler cap on top of the engine",
                ),
                shown=(
                    "the oil filler cap is removed on top of the engine",
                    "golden {oil} oil glugs through a funnel into the engine",
                    "an empty oil bottle sits on the fender",
                ),
                remarks=(
                    "check your manual for how much it takes",
                    "every car is a little different",
                ),
            ),
            Step(
                said=(
                    "start it up for a minute then shut it off and check the level",
                    "wipe the dipstick push it back in and pull it out",
                    "it should be between the two marks",
                    "look under for leaks before you drive off",
                ),
                shown=(
                    "a dipstick is pulled out and wiped with a paper towel",
                    "close-up of oil between the two marks on the dipstick",
                    "a flashlight checks under the car for drips",
                ),
                remarks=(
                    "better safe than sorry with this stuff",
                    "this is where you double check your work",
                ),
            ),
            Step(
                said=(
                    "pour the old oil into a jug and take it to a recycling place",
                    "pour the used oil from the pan into a sealed jug",
                    "tip the drain pan carefully so nothing spills",
                    "screw the lid onto the jug of old oil",
                ),
                shown=(
                    "used oil is poured from the drain pan into a sealed jug",
                    "a jug of old oil and a used filter are set in the car trunk",
                    "a sticker with the next service mileage is placed on the windshield",
                ),
                remarks=(
                    "most auto parts stores take it for free",
                    "never dump it down the drain",
                    "and write down the mileage so you know when to do it next",
                ),
            ),
        ),
    ),
    Task(
        name="swap a flat car tire for the spare",
        domain="bike and car care",
        slots={
            "corner": ("front left", "rear right", "front right"),
        },
        steps=(
            Step(
                said=(
                    "pull over somewhere flat and put your hazards on",
                    "get the spare the jack and the wrench out of the trunk",
                    "put something behind the opposite wheel so it can't roll",
                    "so the {corner} tire is completely flat",
                ),
                shown=(
                    "a car sits on a quiet road with its hazard lights blinking",
                    "a spare wheel and jack are lifted from under the trunk floor",
                    "the {corner} tire sags flat against the pavement",
                ),
                remarks=(
                    "stay calm this happens to everyone",
                    "it's a good idea to practice this at home first",
                ),
            ),
            Step(
                said=(
                    "loosen the lug nuts before you jack it up",
                    "just break them loose half a turn",
                    "step on the wrench if they're tight",
                    "turn the lug wrench counterclockwise on each nut",
                ),
                shown=(
                    "a lug wrench turns a wheel nut counterclockwise",
                    "a foot presses down on the handle of the lug wrench",
                    "the hubcap is pried off to reveal the lug nuts",
                ),
                remarks=(
                    "remember righty tighty lefty loosey",
                    "it's harder than it looks the first time",
                ),
            ),
            Step(
                said=(
                    "put the jack on the jacking point under the car",
                    "check your manual there's a notch on the frame",
                    "raise it until the tire is off the ground",
                    "never put any part of your body under the car",
                ),
                shown=(
                    "a scissor jack is positioned under the sill near the {corner} wheel",
                    "the jack handle is cranked and the car rises",
                    "the flat tire lifts a few inches off the ground",
                ),
                remarks=(
                    "take your time here safety first",
                    "this is the part that makes people nervous",
                ),
            ),
            Step(
                said=(
                    "take the lug nuts all the way off and put them somewhere safe",
                    "pull the wheel straight toward you",
                    "i put the nuts in the hubcap so they don't roll away",
                    "set each lug nut inside the hubcap on the ground",
                ),
                shown=(
                    "lug nuts are dropped into an upturned hubcap",
                    "both hands pull the flat wheel off the hub",
                    "the bare hub shows its wheel studs",
                ),
                remarks=(
                    "it's heavier than you think",
                    "i almost lost one once",
                ),
            ),
            Step(
                said=(
                    "line up the spare with the studs and push it on",
                    "thread the nuts on by hand first",
                    "tighten them in a star pattern",
                    "just snug them up for now",
                ),
                shown=(
                    "the spare wheel is lifted onto the wheel studs",
                    "fingers spin lug nuts onto the studs",
                    "the wrench tightens the nuts in a crisscross order",
                ),
                remarks=(
                    "don't rush this part it's worth doing right",
                    "it's easy once it lines up",
                ),
            ),
            Step(
                said=(
                    "lower the car back down and take the jack out",
                    "now tighten the nuts all the way",
                    "check the spare pressure and get the flat fixed soon",
                    "let the jack down until the spare holds the car's weight",
                ),
                shown=(
                    "the jack is lowered and the spare takes the car's weight",
                    "the lug wrench is pushed firmly to tighten each nut",
                    "the flat tire and jack are stowed back in the trunk",
                ),
                remarks=(
                    "really put your weight into it",
                    "and now you can get back on the road",
                ),
            ),
        ),
    ),
)

TASKS: tuple[Task, ...] = (*_COOKING, *_BAKING, *_HOME_REPAIR, *_CRAFTS, *_GARDENING, *_CLEANING, *_BIKE_AND_CAR)

# spoken sentences that describe nothing shown
OFF_TOPIC: tuple[str, ...] = (
    # channel talk
    "hey guys welcome back to the channel",
    "if you're new here make sure you hit that subscribe button",
    "don't forget to smash the like button it really helps us out",
    "ring the bell so you get notified when i post a new video",
    "let me know in the comments what you want to see next",
    "i read every single comment so leave me a message down below",
    "this video is sponsored by a meal kit company i actually love",
    "use my code in the description to get twenty percent off",
    "we have new merch in the shop link is down below",
    "a huge thank you to all my patreon supporters you guys are amazing",
    "shout out to everyone who's been here since the very beginning",
    "we just hit fifty thousand subscribers and i can't believe it",
    "all the products i use are linked in the description box",
    "some of those links are affiliate links just so you know",
    "if you enjoyed this one check out my playlist over here",
    "i'm doing a live stream on friday so come hang out",
    "thanks to today's sponsor for making this video possible",
    "the sponsor sent me a box of stuff and honestly it's pretty great",
    "follow me on instagram for behind the scenes stuff",
    "i'll pin a comment with all the measurements for you",
    "a lot of you asked for this video so here it is",
    "sorry i haven't posted in a while life got really busy",
    "this is gonna be a long one so grab a snack",
    "i'm trying a new editing style let me know what you think",
    "my last video kind of blew up so welcome to all the new people",
    # greetings and sign-offs
    "hi everybody it's so good to see you again",
    "good morning from my little corner of the world",
    "alright that's it for today thanks so much for watching",
    "i'll see you guys in the next one bye",
    "take care of yourselves and i'll catch you next week",
    "peace out everybody have a great weekend",
    "okay i think that's everything so see you soon",
    "thank you for spending a few minutes with me today",
    "until next time stay safe and be kind",
    "bye bye see you later",
    # anecdotes
    "my grandmother used to do this every single sunday",
    "last week my neighbour came over and asked me about this",
    "when i was a kid my dad never let me help with any of this",
    "my first apartment was so tiny i could barely turn around",
    "i remember the first time i tried this it was a total disaster",
    "my uncle swears by his own way but he's wrong",
    "funny story i once did this at two in the morning",
    "my sister called me yesterday and we talked for like two hours",
    "back when i worked at the hardware store people asked this all the time",
    "my mom still sends me voice messages every morning",
    "a friend of mine from college just moved to another country",
    "i went to a flea market on saturday and found the coolest old lamp",
    "we drove to the coast last month and it rained the whole time",
    "my roommate in college used to sing in the shower every day",
    "i got lost on the way to a wedding once it was terrible",
    # jokes
    "why did the scarecrow win an award because he was outstanding in his field",
    "i'm not saying i'm a genius but my plants are still alive",
    "my wife says i have a problem with buying tools i disagree",
    "if this goes wrong we're just gonna cut that part out of the video",
    "i told my kids a joke about a roof but it went over their heads",
    "i'd tell you a pizza joke but it's a little too cheesy",
    # weather
    "it is pouring rain outside today so sorry about the noise",
    "it's so hot here this week i can't even think",
    "we finally got some snow last night and the kids are thrilled",
    "the weather has been crazy lately sunny one minute then hail",
    "it's really windy today so you might hear the windows rattle",
    # dog, kids, family
    "my dog is barking at the mailman again sorry about that",
    "that's my dog in the background he wants attention",
    "the kids are at school so it's finally quiet in here",
    "my son just learned to ride a bike and he won't stop",
    "my daughter drew a picture of me and it's hanging on the fridge",
    "if you hear crying that's the baby waking up from a nap",
    "my husband is going to eat all of this when he gets home",
    "the cat has been sleeping in the laundry basket all day",
    "my dog ate one of my socks yesterday and he's totally fine",
    # camera, lighting, production
    "hold on let me move the camera a little bit",
    "sorry the lighting is kind of weird today the sun keeps moving",
    "i got a new microphone so hopefully the sound is better",
    "is this in focus i can never tell with this camera",
    "my camera battery died halfway through so bear with me",
    "i'm filming this on my phone today because my camera is broken",
    "let me just adjust this light real quick",
    "i had to reshoot this part three times so let's hope it works",
    # plans and asides
    "next week i'm gonna show you something really fun",
    "in the next video we're gonna tackle something a lot bigger",
    "i've been thinking about starting a podcast what do you think",
    "we're going on vacation soon so there might be a short break",
    "i'm planning a big giveaway for the holidays so stay tuned",
    "i might do a question and answer video soon so send me questions",
    "honestly i drink way too much coffee while filming these",
    "i'm so tired today i was up late watching a movie",
    "my phone keeps buzzing sorry about that",
    "anyway where was i oh right",
    "i've been listening to a great audiobook lately",
    "i'm thinking of painting this room a different color at some point",
)

# visual descriptions of non-step footage
BACKGROUND_SHOWN: tuple[str, ...] = (
    "a host talks to the camera in a bright kitchen",
    "a person in an apron waves at the camera from behind a counter",
    "a host stands in a cluttered garage and speaks to the lens",
    "a presenter sits on a stool in a small studio with plants behind them",
    "an intro title card with the channel name on a colored background",
    "an animated channel logo spins onto the screen",
    "an outro end screen shows two video thumbnails and a subscribe button",
    "a sponsor product box is held up close to the camera",
    "a close-up of a smartphone screen showing a shopping app",
    "a cat walks slowly across the kitchen counter",
    "a dog lies on the floor and looks up at the camera",
    "time-lapse of clouds drifting across a blue sky",
    "a blurry frame as the camera is moved to a new spot",
    "a shaky shot of the ceiling while the camera is adjusted",
    "a black screen with white text announcing the sponsor",
    "a slow pan across a shelf full of jars and books",
    "the host laughs and covers their face with a hand",
    "a child runs past in the background of the frame",
    "a window shows rain streaming down the glass",
    "a wide shot of an empty workshop with tools hanging on a wall",
    "a talking head shot of the host in front of a bookcase",
    "a lower third graphic shows the host's social media handle",
    "a montage of quick clips from earlier videos plays",
    "a coffee mug steams on a table next to a laptop",
    "the camera points at the floor while someone adjusts the tripod",
    "a ring light glows in the corner of the frame",
    "the host holds up a phone showing a comment from a viewer",
    "a slow zoom on a potted plant on a windowsill",
    "a countdown animation fills the screen before the video begins",
    "the host gives a thumbs up and the screen fades to black",
)

# spoken fillers an ASR transcript is full of
FILLERS: tuple[str, ...] = (
    "um",
    "uh",
    "so",
    "okay so",
    "you know",
    "like",
    "basically",
    "alright",
    "i mean",
    "right",
    "yeah",
    "hmm",
    "kind of",
    "sort of",
    "anyway",
    "let's see",
    "oh",
    "okay",
)
